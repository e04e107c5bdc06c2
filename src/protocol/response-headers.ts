/**
 * Response headers of an event stream. `no-transform` keeps compression middleware and proxies
 * from buffering; `X-Accel-Buffering: no` turns off nginx's proxy buffering.
 * `Connection` is a hop-by-hop header that HTTP/2 forbids, so it is only sent on HTTP/1.x.
 */
export function eventStreamHeaders(httpVersionMajor: number): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  };
  if (httpVersionMajor < 2) headers['Connection'] = 'keep-alive';
  return headers;
}
