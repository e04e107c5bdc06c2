const CRLF = Buffer.from('\r\n');

/**
 * One encoded event on its way to many connections: the bytes, and (made once, on first use)
 * the same bytes as an HTTP/1.1 chunk, for connections that write straight to their socket.
 */
export class OutgoingFrame {
  private chunk: Buffer | null = null;

  constructor(readonly bytes: Buffer) {}

  /**
   * `line` (ASCII: an `id:` line) then `body`'s bytes, as one frame: one write, so nothing can
   * come between them, and one buffer for the socket instead of two.
   */
  static prefixed(line: string, body: OutgoingFrame): OutgoingFrame {
    const bytes = Buffer.allocUnsafe(line.length + body.bytes.length);
    bytes.write(line, 0, 'latin1');
    body.bytes.copy(bytes, line.length);
    return new OutgoingFrame(bytes);
  }

  /** `<length in hex>\r\n<bytes>\r\n`: what `ServerResponse.write` would put on a chunked socket. */
  get chunked(): Buffer {
    return (this.chunk ??= Buffer.concat([
      Buffer.from(this.bytes.length.toString(16) + '\r\n'),
      this.bytes,
      CRLF,
    ]));
  }
}
