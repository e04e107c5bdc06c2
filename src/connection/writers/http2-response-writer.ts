import type { Http2ServerResponse } from 'node:http2';
import { eventStreamHeaders } from '../../protocol/index.js';
import type { OutgoingFrame } from '../outgoing-frame.js';
import type { ResponseEvents, ResponseWriter } from './response-writer.js';

/** HTTP/2 through Node's compatibility API: one stream of a session shared with other requests. */
export class Http2ResponseWriter implements ResponseWriter {
  constructor(private readonly response: Http2ServerResponse) {}

  get gone(): boolean {
    return this.response.destroyed || this.response.stream.destroyed;
  }

  get pendingBytes(): number {
    return this.response.writableLength;
  }

  open(events: ResponseEvents): void {
    const response = this.response;
    response.on('close', events.close);
    response.on('error', events.error);
    response.on('drain', events.drain);
    response.writeHead(200, eventStreamHeaders(2)); // sends the HEADERS frame at once
  }

  write(text: string): boolean {
    return this.response.write(text);
  }

  writeFrame(frame: OutgoingFrame): void {
    this.response.write(frame.bytes);
  }

  cork(): boolean {
    return false;
  }

  uncork(): void {}

  end(): void {
    this.response.end();
  }

  destroy(): void {
    this.response.destroy();
  }

  /** An HTTP/2 client keeps its idle session open, which would hold the server's `close()`. */
  release(): void {
    this.response.stream.session?.close();
  }
}
