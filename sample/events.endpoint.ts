import { SseEndpoint, type OnSseConnect, type SseConnection } from '../src/index.js';

/** A stream for everyone: `POST /broadcast` publishes to this endpoint's channel. */
@SseEndpoint('/events', { keepalive: 15 })
export class EventsEndpoint implements OnSseConnect {
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.sendEvent({ event: 'hello', data: { worker: process.pid } });
  }
}
