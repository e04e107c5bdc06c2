const CRLF = Buffer.from('\r\n');

/**
 * One encoded event on its way to many connections: the bytes, and (made once, on first use)
 * the same bytes as an HTTP/1.1 chunk, for connections that write straight to their socket.
 */
export class OutgoingFrame {
  private chunk: Buffer | null = null;

  constructor(readonly bytes: Buffer) {}

  /** `<length in hex>\r\n<bytes>\r\n`: what `ServerResponse.write` would put on a chunked socket. */
  get chunked(): Buffer {
    return (this.chunk ??= Buffer.concat([
      Buffer.from(this.bytes.length.toString(16) + '\r\n'),
      this.bytes,
      CRLF,
    ]));
  }
}
