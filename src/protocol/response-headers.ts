/**
 * Response headers of an event stream. `no-transform` keeps compression middleware and proxies
 * from buffering; `X-Accel-Buffering: no` turns off nginx's proxy buffering.
 * `Connection: keep-alive` is only sent on HTTP/1.x (HTTP/2 forbids the hop-by-hop header), and
 * only when the connection is kept after the stream (`keepAlive`: not after a `Connection: close`
 * request, nor on HTTP/1.0, whose unchunked body ends with the connection — RFC 9112 §9.6).
 */
export function eventStreamHeaders(
  httpVersionMajor: number,
  keepAlive = true,
): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  };
  if (httpVersionMajor < 2 && keepAlive) headers['Connection'] = 'keep-alive';
  return headers;
}
