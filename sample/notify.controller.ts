import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { BroadcastService } from '../src/index.js';
import { EventsEndpoint } from './events.endpoint.js';

interface MessageBody {
  message?: unknown;
}

const text = (body: MessageBody | undefined) => String(body?.message ?? '').slice(0, 500);

@Controller()
export class NotifyController {
  constructor(
    private readonly broadcast: BroadcastService,
    private readonly events: EventsEndpoint,
  ) {}

  /** Sends one notification to every stream of one user, in every worker. */
  @Post('notify/:userId')
  @HttpCode(202)
  async notify(@Param('userId') userId: string, @Body() body: MessageBody) {
    const id = await this.broadcast.publish(`user:${userId}`, {
      event: 'notification',
      data: { message: text(body), worker: process.pid, at: new Date().toISOString() },
    });
    await this.broadcast.publish('admin', {
      event: 'audit',
      data: { notified: userId, worker: process.pid },
    });
    return { id, worker: process.pid };
  }

  /** Sends one event to everyone connected to `/events`. */
  @Post('broadcast')
  @HttpCode(202)
  async broadcastMessage(@Body() body: MessageBody) {
    const id = await this.broadcast.toEndpoint(EventsEndpoint, {
      event: 'broadcast',
      data: { message: text(body), worker: process.pid, at: new Date().toISOString() },
    });
    return { id, worker: process.pid };
  }

  /** Ends this worker's `/events` streams (the page reconnects and resumes with no gap). */
  @Post('streams/drop')
  @HttpCode(202)
  drop() {
    return { dropped: this.events.dropAll(), worker: process.pid };
  }
}
