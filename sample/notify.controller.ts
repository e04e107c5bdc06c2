import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { BroadcastService } from '../src/index.js';
import { EventsEndpoint } from './events.endpoint.js';

interface MessageBody {
  message?: unknown;
}

@Controller()
export class NotifyController {
  constructor(private readonly broadcast: BroadcastService) {}

  /** Sends one notification to every stream of one user, in every worker. */
  @Post('notify/:userId')
  @HttpCode(202)
  async notify(
    @Param('userId') userId: string,
    @Body() body: MessageBody,
  ): Promise<{ delivered: true }> {
    await this.broadcast.publish(`user:${userId}`, {
      event: 'notification',
      data: {
        message: String(body?.message ?? ''),
        worker: process.pid,
        at: new Date().toISOString(),
      },
    });
    return { delivered: true };
  }

  /** Sends one event to everyone connected to `/events`. */
  @Post('broadcast')
  @HttpCode(202)
  async broadcastMessage(@Body() body: MessageBody): Promise<{ delivered: true }> {
    await this.broadcast.toEndpoint(EventsEndpoint, {
      event: 'broadcast',
      data: {
        message: String(body?.message ?? ''),
        worker: process.pid,
        at: new Date().toISOString(),
      },
    });
    return { delivered: true };
  }
}
