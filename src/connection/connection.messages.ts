/** Every text the connection layer puts in an error or a log line. */

export const NO_CHANNELS =
  'Channels need broadcasting: use SseModule, or pass `channels` from createBroadcaster() to createSseHandler';

export const CHANNEL_NAME_REQUIRED = 'Channel name must be a non-empty string';

export const invalidMethod = (method: unknown) =>
  `createSseHandler: method ${JSON.stringify(method)} is not one of 'GET', 'POST', 'PUT', 'PATCH', 'DELETE'`;

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

/** Why a stream was refused before it opened (the body's `message`). */
export const REJECTIONS = {
  shuttingDown: 'The server is shutting down',
  tooMany: 'Too many connections',
  tooManyForKey: 'Too many connections for this client',
  forbidden: 'Forbidden',
};

export const endpointHook = (hook: string, name: string, path: string) =>
  `${hook} of SSE endpoint ${name} (${path})`;

export const notLiveOnEndpointChannel = (id: string, path: string, message: string) =>
  `Connection ${id} of ${path} is not yet live on its endpoint channel: ${message}`;

export const failedBeforeOpen = (path: string, message: string) =>
  `SSE endpoint ${path} failed before the stream opened: ${message}`;

export const NOT_A_PIPE_SOURCE =
  'sse.pipe() takes an AsyncIterable, an Iterable (not a string) or an Observable';

export const PIPE_MAP_NOT_AN_EVENT = 'The map of sse.pipe() must return an SseEvent object';
export const pipeOptionInvalid = (option: string, message: string) =>
  `sse.pipe() option ${option}: ${message}`;

export const pipeSourceFailed = (id: string, endpoint: string, message: string) =>
  `The source piped to SSE connection ${id} on ${endpoint} failed: ${message}`;

export const stoppingPipeSource = (id: string) =>
  `Stopping the source piped to SSE connection ${id}`;
