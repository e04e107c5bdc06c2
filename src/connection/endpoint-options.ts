import type { SseConnection, SseConnectionInit } from './sse-connection.js';
import type { SlowConsumerPolicy } from './write-budget.js';
import type { SseRequest } from './sse-request.js';

/** The key a connection is counted under for `maxConnectionsPerKey` (e.g. the user id). */
export type SseConnectionKey = (request: SseRequest) => string | undefined;

/** A subclass of `SseConnection`, constructed for each stream instead of `SseConnection`. */
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
  /**
   * Bytes that may wait for one connection beyond what its socket accepted (default 1 MiB). A
   * connection over it is a slow consumer (`slowConsumer` applies) when its backlog has not shrunk
   * a second or two later, or grew by another `maxBufferedBytes` meanwhile: a client reading a
   * large event is not slow.
   */
  maxBufferedBytes?: number;
  /** `'close'` (default): end the stream, reason `'slow-consumer'`; `'drop'`: skip events until it drains. */
  slowConsumer?: SlowConsumerPolicy;
  /** Open streams allowed on the endpoint in this process; over it: `503` with `Retry-After`. */
  maxConnections?: number;
  /** Open streams allowed per `connectionKey` on the endpoint in this process; over it: `429`. */
  maxConnectionsPerKey?: number;
  /** The key for `maxConnectionsPerKey`; `undefined` means not counted. */
  connectionKey?: SseConnectionKey;
  /**
   * Seconds (±10 % jitter) after which a stream ends with a `retry:` hint, reason `'lifetime'`;
   * checked once a second, so never early and at most a second late.
   */
  maxLifetime?: number;
  /**
   * The query parameter read as the last event id when a request has no `Last-Event-ID` header
   * (an `EventSource` sends the header only on its own reconnections, never after a page reload):
   * `new EventSource('/events?lastEventId=' + id)` resumes as a reconnection does. The header wins
   * when both are sent; the same validation applies. Default `'lastEventId'`; `false` turns it off.
   */
  lastEventIdQueryParam?: string | false;
}

/** Default of `lastEventIdQueryParam`. */
export const DEFAULT_LAST_EVENT_ID_QUERY_PARAM = 'lastEventId';

/** Default of `maxBufferedBytes`: 1 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/** Fills in the defaults of endpoint options from a base (the module's options). */
export function resolveEndpointOptions(
  options: SseEndpointOptions,
  defaults: SseEndpointOptions,
  fallbackClass: SseConnectionClass,
): ResolvedEndpointOptions {
  return {
    keepalive: options.keepalive ?? defaults.keepalive ?? 0,
    retry: options.retry ?? defaults.retry,
    connectionClass: options.connectionClass ?? defaults.connectionClass ?? fallbackClass,
    maxBufferedBytes:
      options.maxBufferedBytes ?? defaults.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    slowConsumer: options.slowConsumer ?? defaults.slowConsumer ?? 'close',
    maxConnections: options.maxConnections ?? defaults.maxConnections,
    maxConnectionsPerKey: options.maxConnectionsPerKey ?? defaults.maxConnectionsPerKey,
    connectionKey: options.connectionKey ?? defaults.connectionKey,
    maxLifetime: options.maxLifetime ?? defaults.maxLifetime,
    lastEventIdQueryParam:
      options.lastEventIdQueryParam ??
      defaults.lastEventIdQueryParam ??
      DEFAULT_LAST_EVENT_ID_QUERY_PARAM,
  };
}

/** Endpoint settings with every default applied. */
export interface ResolvedEndpointOptions {
  keepalive: number;
  retry: number | undefined;
  connectionClass: SseConnectionClass;
  maxBufferedBytes: number;
  slowConsumer: SlowConsumerPolicy;
  maxConnections: number | undefined;
  maxConnectionsPerKey: number | undefined;
  connectionKey: SseConnectionKey | undefined;
  maxLifetime: number | undefined;
  lastEventIdQueryParam: string | false;
}
