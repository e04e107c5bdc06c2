import {
  SseEndpoint,
  type OnSseConnect,
  type OnSseDisconnect,
  type SseConnection,
} from '../src/index.js';

/**
 * A stream for everyone: `POST /broadcast` publishes to this endpoint's channel, and history
 * replays what a reconnecting page missed. Keeps its connections so the demo can drop them.
 */
@SseEndpoint('/events', { keepalive: 15, retry: 1000 })
export class EventsEndpoint implements OnSseConnect, OnSseDisconnect {
  private readonly open = new Set<SseConnection>();

  async onConnect(sse: SseConnection): Promise<void> {
    this.open.add(sse);
    await sse.sendEvent({
      event: 'hello',
      data: { worker: process.pid, resumedFrom: sse.lastEventId, replayGap: sse.replayGap },
    });
  }

  onDisconnect(sse: SseConnection): void {
    this.open.delete(sse);
  }

  /** Ends every stream of this worker: the browsers reconnect and resume with Last-Event-ID. */
  dropAll(): number {
    const count = this.open.size;
    for (const sse of this.open) sse.close();
    return count;
  }
}
