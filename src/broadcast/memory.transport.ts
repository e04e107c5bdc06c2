import type { SseTransport, TransportSink, TransportState } from './sse-transport.js';

/** The default: one process, delivery in the same tick as `publish`. Nothing to install. */
export class MemoryTransport implements SseTransport {
  readonly state: TransportState = 'up';
  private sink: TransportSink | null = null;

  async start(sink: TransportSink): Promise<void> {
    this.sink = sink;
  }

  publish(channel: string, frame: Buffer, except?: readonly string[]): Promise<void> {
    this.sink?.(channel, frame, except);
    return RESOLVED;
  }

  subscribe(): Promise<void> {
    return RESOLVED;
  }

  unsubscribe(): Promise<void> {
    return RESOLVED;
  }

  async close(): Promise<void> {
    this.sink = null;
  }
}

const RESOLVED: Promise<void> = Promise.resolve();
