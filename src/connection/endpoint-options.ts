import type { SseConnection, SseConnectionInit } from './sse-connection.js';

/** A subclass of `SseConnection` (the seed's `sse_class`). */
export type SseConnectionClass<C extends SseConnection = SseConnection> = new (
  init: SseConnectionInit,
) => C;

/** Per-endpoint settings; unset ones fall back to the module's (or the handler's) defaults. */
export interface SseEndpointOptions {
  /** Seconds between keepalive comments; 0 turns them off. Default: the module's, whose default is 0. */
  keepalive?: number;
  /** Milliseconds sent as `retry:` when the stream opens (the client's reconnection delay). */
  retry?: number;
  /** A subclass of `SseConnection` to construct instead of `SseConnection`. */
  connectionClass?: SseConnectionClass;
}

/** Endpoint settings with every default applied. */
export interface ResolvedEndpointOptions {
  keepalive: number;
  retry: number | undefined;
  connectionClass: SseConnectionClass;
}
