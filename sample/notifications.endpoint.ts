import { Logger } from '@nestjs/common';
import {
  SseEndpoint,
  type OnSseConnect,
  type OnSseDisconnect,
  type SseConnection,
  type SseDisconnectReason,
} from '../src/index.js';
import { UserDirectory } from './user-directory.js';

/**
 * The seed's SYNOPSIS: a per-user notification stream. `?token=alice` identifies the user (a
 * stand-in for real authentication); `POST /notify/alice` publishes to `user:alice`. With
 * history, a reconnecting client first gets what it missed, then the welcome event.
 */
@SseEndpoint('/notifications', { keepalive: 30, retry: 1000 })
export class NotificationsEndpoint implements OnSseConnect, OnSseDisconnect {
  private readonly logger = new Logger(NotificationsEndpoint.name);

  constructor(private readonly users: UserDirectory) {}

  async onConnect(sse: SseConnection): Promise<void> {
    const userId = this.users.fromToken(sse.request.query.token);
    sse.stash.userId = userId;
    await sse.join(`user:${userId}`);
    await sse.sendEvent({
      event: 'connected',
      data: { userId, worker: process.pid, resumedFrom: sse.lastEventId, replayGap: sse.replayGap },
    });
  }

  onDisconnect(sse: SseConnection, reason: SseDisconnectReason): void {
    this.logger.debug(`user ${String(sse.stash.userId)} left (${reason})`);
  }
}
