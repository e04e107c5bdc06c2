import { connect, type Socket } from 'node:net';

/**
 * One request written byte for byte on a raw socket, and everything the server sends back:
 * for checking connection management (who closes the socket, and when).
 */
export class RawHttpExchange {
  received = '';
  /** `performance.now()` when the server ended its side of the socket; null while open. */
  serverClosedAt: number | null = null;
  private readonly socket: Socket;

  private constructor(port: number, request: string) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (chunk: string) => (this.received += chunk));
    this.socket.on('end', () => (this.serverClosedAt ??= performance.now()));
    this.socket.on('close', () => (this.serverClosedAt ??= performance.now()));
    this.socket.write(request);
  }

  /** Sends `GET path` as `HTTP/<version>` with the given header lines. */
  static get(port: number, path: string, version: '1.0' | '1.1', headers: string[] = []) {
    const lines = [`GET ${path} HTTP/${version}`, 'Host: 127.0.0.1', ...headers, '', ''];
    return new RawHttpExchange(port, lines.join('\r\n'));
  }

  /** The response's header lines, names lower-cased: `{ connection: 'close', … }`. */
  get headers(): Record<string, string> {
    const head = this.received.slice(0, this.received.indexOf('\r\n\r\n'));
    return Object.fromEntries(
      head
        .split('\r\n')
        .slice(1)
        .map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
        }),
    );
  }

  get statusLine(): string {
    return this.received.slice(0, this.received.indexOf('\r\n'));
  }

  /** Everything after the header block, as sent (chunk framing included). */
  get body(): string {
    const end = this.received.indexOf('\r\n\r\n');
    return end === -1 ? '' : this.received.slice(end + 4);
  }

  get open(): boolean {
    return this.serverClosedAt === null;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
