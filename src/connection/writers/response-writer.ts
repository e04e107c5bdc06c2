import type { OutgoingFrame } from '../outgoing-frame.js';

/** What a connection listens for on its response. */
export interface ResponseEvents {
  close(): void;
  error(): void;
  drain(): void;
}

/**
 * Writes one event stream to one Node response. HTTP/1.1 and HTTP/2 differ in how the bytes
 * reach the wire (a direct socket path, corking, sessions); the connection does not.
 */
export interface ResponseWriter {
  /** The client left before the stream opened (while an async `authorize` or a guard ran). */
  readonly gone: boolean;
  /** Bytes written that the transport has not accepted yet. */
  readonly pendingBytes: number;
  /** Writes the status line and headers at once, and starts reporting `events`. */
  open(events: ResponseEvents): void;
  /** Writes what the application sends; `false` asks the caller to wait for `drain`. */
  write(text: string): boolean;
  /** Writes a frame shared by many connections (the broadcast hot path). */
  writeFrame(frame: OutgoingFrame): void;
  /** Holds this tick's writes back to leave together; `false` if it did not (not supported). */
  cork(): boolean;
  uncork(): void;
  end(): void;
  /** Drops unsent bytes at once. */
  destroy(): void;
  /** At shutdown: lets an idle client's connection go (HTTP/2 sends GOAWAY). */
  release(): void;
}
