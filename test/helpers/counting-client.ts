import { connect, type Socket } from 'node:net';

const DATA = Buffer.from('data: ');

/**
 * A light SSE client for heavy tests: keeps no text, only counts events whose data starts with
 * `<seq>:` and checks they come in order. `stalled` clients never read at all.
 */
export class CountingClient {
  received = 0;
  outOfOrder = 0;
  ended = false;
  private expectedSeq = 0;
  private headerDone = false;
  private carry = Buffer.alloc(0);
  readonly socket: Socket;

  constructor(port: number, path: string, stalled = false) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => (this.ended = true));
    this.socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`,
    );
    if (stalled) this.socket.pause();
    else this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  private onData(chunk: Buffer): void {
    let buffer = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    if (!this.headerDone) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) {
        this.carry = buffer;
        return;
      }
      this.headerDone = true;
      buffer = buffer.subarray(end + 4);
    }
    let at = 0;
    for (;;) {
      const found = buffer.indexOf(DATA, at);
      if (found === -1) break;
      const colon = buffer.indexOf(0x3a, found + DATA.length); // ':' after the seq
      if (colon === -1 || colon - found > 32) {
        if (colon === -1) {
          at = found;
          break;
        }
        at = found + DATA.length;
        continue;
      }
      const seq = Number(buffer.toString('latin1', found + DATA.length, colon));
      if (seq !== this.expectedSeq) this.outOfOrder++;
      this.expectedSeq = seq + 1;
      this.received++;
      at = colon;
    }
    // Keep a short tail in case `data: <seq>:` is split across chunks.
    this.carry = Buffer.from(buffer.subarray(Math.max(at, buffer.length - 40)));
  }

  close(): void {
    this.socket.destroy();
  }
}
