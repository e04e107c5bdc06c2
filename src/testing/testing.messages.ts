/** Every text the testing entry puts in an error. */

export const notAStream = (request: string, status: number, type: string, body: string) =>
  `connectSse: ${request} answered ${status} (${type || 'no content-type'}), not an event ` +
  `stream: ${body}`;

export const streamEnded = (request: string, received: number) =>
  `connectSse: the stream of ${request} ended (after ${received} events)`;

export const streamClosed = (request: string) =>
  `connectSse: the stream of ${request} was closed by the test`;

export const noEventWithin = (request: string, timeout: number, received: number) =>
  `connectSse: no event on ${request} within ${timeout} ms (${received} received so far)`;

export const NOT_AN_APP =
  'connectSse takes a Nest application (or anything with getHttpServer() and listen())';

export const NOT_TCP = 'connectSse: the application listens on a pipe, not a TCP port';
