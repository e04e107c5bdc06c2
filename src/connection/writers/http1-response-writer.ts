import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { eventStreamHeaders } from '../../protocol/index.js';
import type { OutgoingFrame } from '../outgoing-frame.js';
import type { ResponseEvents, ResponseWriter } from './response-writer.js';

/**
 * HTTP/1.x. Broadcast frames go straight to the socket as ready-made chunks: the same bytes
 * `ServerResponse.write` would produce, without its per-write work (several times slower on
 * responses whose prototype a framework replaced, as Express does). Not when something wrapped
 * `write` (compression, loggers): then everything goes through the response.
 */
export class Http1ResponseWriter implements ResponseWriter {
  /** Set when frames may bypass `ServerResponse.write`. */
  private socket: Socket | null = null;

  constructor(private readonly response: ServerResponse) {}

  get gone(): boolean {
    return this.response.destroyed || !!this.response.socket?.destroyed;
  }

  /** With the direct path, everything waiting sits in the socket: reading it skips a slow getter. */
  get pendingBytes(): number {
    return this.socket ? this.socket.writableLength : this.response.writableLength;
  }

  open(events: ResponseEvents): void {
    const response = this.response;
    response.on('close', events.close);
    response.on('error', events.error);
    response.on('drain', events.drain);
    // Node keeps the connection when the request allows it and the body can be chunked; otherwise
    // it answers `Connection: close` and closes the socket after the stream, unless we claim it.
    const keepAlive = response.shouldKeepAlive && response.useChunkedEncodingByDefault;
    response.writeHead(200, eventStreamHeaders(response.req?.httpVersionMajor ?? 1, keepAlive));
    response.flushHeaders();
    const socket = response.socket;
    socket?.setNoDelay(true);
    const chunked = (response as { chunkedEncoding?: boolean }).chunkedEncoding === true;
    if (chunked && socket && !Object.prototype.hasOwnProperty.call(response, 'write')) {
      this.socket = socket;
    }
  }

  write(text: string): boolean {
    return this.response.write(text);
  }

  writeFrame(frame: OutgoingFrame): void {
    if (this.socket) this.socket.write(frame.chunked);
    else this.response.write(frame.bytes);
  }

  cork(): boolean {
    const socket = this.socket;
    if (!socket || socket.writableCorked) return false;
    socket.cork();
    return true;
  }

  uncork(): void {
    this.socket?.uncork();
  }

  end(): void {
    this.response.end();
  }

  destroy(): void {
    this.response.destroy();
  }

  release(): void {}
}
