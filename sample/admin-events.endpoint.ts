import { Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { SseEndpoint, type OnSseConnect, type SseConnection } from '../src/index.js';

/** A demo guard: `?token=admin` passes; anything else is refused with 403. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context
      .switchToHttp()
      .getRequest<{ query?: Record<string, unknown>; user?: unknown }>();
    if (request.query?.token !== 'admin') return false;
    request.user = { id: 'admin', role: 'admin' };
    return true;
  }
}

/** A guarded stream: refused before it opens unless the guard passes. */
@SseEndpoint('/admin/events', { keepalive: 15 })
@UseGuards(AdminTokenGuard)
export class AdminEventsEndpoint implements OnSseConnect {
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.join('admin');
    await sse.sendEvent({
      event: 'welcome',
      data: { user: sse.request.user, worker: process.pid },
    });
  }
}
