/**
 * Why a connection closed, as passed to `onDisconnect`:
 * - `client`: the client went away (or the socket failed);
 * - `server`: application code called `sse.close()`;
 * - `shutdown`: the application is shutting down;
 * - `error`: `onConnect` threw or rejected;
 * - `slow-consumer`: the client read too slowly and its buffer passed `maxBufferedBytes`;
 * - `lifetime`: the stream reached its `maxLifetime`;
 * - `missed-events`: its worker may have missed events it cannot replay (Redis reconnect), and
 *   `liveGap: 'close'` ends the stream so the client reconnects and resumes.
 */
export type SseDisconnectReason =
  'client' | 'server' | 'shutdown' | 'error' | 'slow-consumer' | 'lifetime' | 'missed-events';
