/** Every text the connection layer puts in an error or a log line. */

export const NO_CHANNELS =
  'Channels need broadcasting: use SseModule, or pass `channels` from createBroadcaster() to createSseHandler';

export const CHANNEL_NAME_REQUIRED = 'Channel name must be a non-empty string';

export const closedConnection = (id: string) => `SSE connection ${id} is closed`;

export const slowConsumerClosed = (
  id: string,
  endpoint: string,
  pending: number,
  why: string,
  bound: number,
) =>
  `Closed SSE connection ${id} on ${endpoint}: slow consumer, ${pending} bytes waiting, ` +
  `${why} (maxBufferedBytes ${bound})`;

export const userCallbackFailed = (what: string, message: string) => `${what} failed: ${message}`;
