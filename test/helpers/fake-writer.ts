import type { OutgoingFrame } from '../../src/connection/outgoing-frame.js';
import type {
  ResponseEvents,
  ResponseWriter,
} from '../../src/connection/writers/response-writer.js';

/** A response writer that records what it is asked to do; `pendingBytes` is set by the test. */
export class FakeWriter implements ResponseWriter {
  gone = false;
  pendingBytes = 0;
  corks = 0;
  uncorks = 0;
  readonly written: (string | OutgoingFrame)[] = [];
  events: ResponseEvents | null = null;
  ended = false;
  destroyed = false;

  open(events: ResponseEvents): void {
    this.events = events;
  }
  write(text: string): boolean {
    this.written.push(text);
    return true;
  }
  writeFrame(frame: OutgoingFrame): void {
    this.written.push(frame);
  }
  cork(): boolean {
    this.corks++;
    return true;
  }
  uncork(): void {
    this.uncorks++;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  release(): void {}
}
