/**
 * One encoded event on its way to many connections: the bytes, and (made once, on first use)
 * the same bytes as an HTTP/1.1 chunk, for connections that write straight to their socket.
 */
export class OutgoingFrame {
  private chunk: Buffer | null = null;

  constructor(readonly bytes: Buffer) {}

  /**
   * `line` (ASCII: an `id:` line) then `body`'s bytes, as one frame: one write, so nothing can
   * come between them. Made for one connection, so its HTTP/1.1 chunk is built at once, in the
   * same buffer (`bytes` is a view into it).
   */
  static prefixed(line: string, body: OutgoingFrame): OutgoingFrame {
    const { chunk, start, end } = chunkOf(line, body.bytes);
    const frame = new OutgoingFrame(chunk.subarray(start, end));
    frame.chunk = chunk;
    return frame;
  }

  /** `<length in hex>\r\n<bytes>\r\n`: what `ServerResponse.write` would put on a chunked socket. */
  get chunked(): Buffer {
    return (this.chunk ??= chunkOf('', this.bytes).chunk);
  }
}

/** `line` (ASCII) and `bytes` as one HTTP/1.1 chunk, in one buffer; where the data is in it. */
function chunkOf(line: string, bytes: Buffer): { chunk: Buffer; start: number; end: number } {
  const length = line.length + bytes.length;
  const head = length.toString(16) + '\r\n';
  const chunk = Buffer.allocUnsafe(head.length + length + 2);
  let at = chunk.write(head, 0, 'latin1');
  if (line) at += chunk.write(line, at, 'latin1');
  at += bytes.copy(chunk, at);
  chunk[at] = 0x0d;
  chunk[at + 1] = 0x0a;
  return { chunk, start: head.length, end: head.length + length };
}
