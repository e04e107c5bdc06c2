import { OutgoingFrame } from '../../src/connection/outgoing-frame.js';

describe('OutgoingFrame: an event as bytes and as an HTTP/1.1 chunk', () => {
  it.each([
    { bytes: 'data: x\n\n', chunked: '9\r\ndata: x\n\n\r\n' },
    { bytes: 'data: é\n\n', chunked: 'a\r\ndata: é\n\n\r\n' }, // the length counts bytes
    { bytes: `data: ${'y'.repeat(300)}\n\n`, chunked: `134\r\ndata: ${'y'.repeat(300)}\n\n\r\n` },
  ])('chunks $bytes as <hex length>CRLF<bytes>CRLF', ({ bytes, chunked }) => {
    const frame = new OutgoingFrame(Buffer.from(bytes));
    expect(frame.chunked.toString()).toBe(chunked);
    expect(frame.chunked).toBe(frame.chunked); // made once
  });

  it.each([
    { line: 'id: 3:1-2-e_7:5-6-e\n', body: 'data: x\n\n' },
    { line: 'id: 1-1-e\n', body: 'event: é\ndata: ü\n\n' },
  ])('prefixes $line to a body in one frame and one chunk', ({ line, body }) => {
    const frame = OutgoingFrame.prefixed(line, new OutgoingFrame(Buffer.from(body)));
    const bytes = Buffer.from(line + body);
    expect(frame.bytes).toEqual(bytes);
    expect(frame.chunked.toString()).toBe(`${bytes.length.toString(16)}\r\n${line}${body}\r\n`);
  });
});
