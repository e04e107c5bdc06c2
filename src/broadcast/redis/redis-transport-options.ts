import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import { MAX_HISTORY_COUNTERS } from '../history/history-counter.js';

// The Redis transport's options, typed without `ioredis`: it is an optional peer dependency, so
// the published declarations must compile where it is not installed. An ioredis `Redis` client
// and a `RedisOptions` object are accepted as they are (the shapes below are what they have).

/**
 * Connection options for the connections the Redis transport opens: handed to ioredis as they
 * are, so every ioredis `RedisOptions` field is accepted; the common ones are listed here.
 */
export interface RedisConnectionOptions {
  host?: string;
  port?: number;
  /** Unix socket path, instead of host and port. */
  path?: string;
  username?: string;
  password?: string;
  db?: number;
  /** TLS options (`node:tls` `ConnectionOptions`); any value makes the connection use TLS. */
  tls?: object;
  connectionName?: string;
  connectTimeout?: number;
  commandTimeout?: number;
  keepAlive?: number;
  maxRetriesPerRequest?: number | null;
  /** Milliseconds before the next reconnection attempt; `null`/`undefined` stops reconnecting. */
  retryStrategy?: ((times: number) => number | void | null) | null;
  /**
   * Redis Sentinel: the sentinels to ask for the primary of `name` (instead of `host`/`port`).
   * `username`/`password`/`tls` are then those of the primary and its replicas; the sentinels'
   * own are `sentinelUsername`/`sentinelPassword`/`sentinelTLS` (with `enableTLSForSentinelMode`).
   */
  sentinels?: { host?: string; port?: number }[];
  /** With `sentinels`: the name the sentinels monitor the primary under (`sentinel monitor <name>`). */
  name?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
  /**
   * With `sentinels`: listen to them for failovers (`+switch-master`) and reconnect to the promoted
   * primary at once, also when the old one froze rather than died. Default here `true` when
   * `sentinels` are given (ioredis' own default is `false`).
   */
  failoverDetector?: boolean;
  /** Any other ioredis option (family, sentinelTLS, natMap, …), passed on unchecked. */
  // `any`, not `unknown`: an interface such as ioredis's `RedisOptions` only fits an `any` index.
  [option: string]: any;
}

/**
 * An ioredis client (`new Redis(…)`) of yours: the transport only `duplicate()`s it, so this is
 * all it needs of its type.
 */
export interface RedisClient {
  duplicate(override?: RedisConnectionOptions): unknown;
  readonly status: string;
}

export interface RedisTransportOptions {
  /** `redis://` URL for the connections the transport opens (and closes). */
  url?: string;
  /** ioredis options (`RedisOptions`) for the connections the transport opens. */
  options?: RedisConnectionOptions;
  /** An ioredis client of yours: duplicated to publish and to subscribe; never closed. */
  client?: RedisClient;
  /** Prefix of every Redis channel name. Default `'sse:'`. */
  channelPrefix?: string;
  /** Milliseconds a publish (or a subscription) may wait for Redis before it rejects. Default 5000. */
  publishTimeout?: number;
  /**
   * `true`: startup waits (up to `publishTimeout`) until both connections are ready, and fails with
   * `SseConnectError` if Redis can't be reached. Default `false`: startup goes on at once, and
   * publishes wait (and fail) while Redis is unreachable.
   */
  failFast?: boolean;
  /**
   * Publishes that may wait on Redis at once (waiting for the connection, or sent and not yet
   * answered, e.g. while Redis hangs); past it a publish rejects at once with `SsePublishError`
   * (`outcome: 'not-sent'`). Bounds the memory a hung Redis makes the process hold. Default 1000.
   */
  maxPendingPublishes?: number;
  /**
   * How many id counters history is spread over (1 to 16). Each history channel's ids come from
   * counter `FNV-1a(channel) mod historyCounters`, whose keys (and Redis channel) share one hash
   * tag: on a Redis Cluster the counters, and so the history writes, spread over that many slots
   * instead of one. With one counter (the default on one Redis) ids are `<ms>-<seq>-<epoch>` as
   * always; with more, `<k>:<ms>-<seq>-<epoch>`, and a connection in channels of several counters
   * resumes from a position naming each (see the README). Every worker of an app must use the
   * same value; changing it makes resuming clients get `replayGap: true` once.
   */
  historyCounters?: number;
}

/** {@link RedisTransportOptions.historyCounters}, checked (`TypeError`); default 1. */
export function historyCountersOf(options: RedisTransportOptions): number {
  const counters = options.historyCounters ?? 1;
  if (!Number.isInteger(counters) || counters < 1 || counters > MAX_HISTORY_COUNTERS)
    throw new TypeError(BROADCAST_MESSAGES.historyCounters(counters, MAX_HISTORY_COUNTERS));
  return counters;
}
