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

/**
 * ioredis `ClusterOptions` for a Redis Cluster: handed to ioredis as they are; the common ones are
 * listed here. `redisOptions` are the options of every node connection (`username`, `password`,
 * `tls`…).
 */
export interface RedisClusterOptions {
  redisOptions?: RedisConnectionOptions;
  /** Maps the addresses the nodes announce to ones this process can reach (NAT, Docker). */
  natMap?: Record<string, { host: string; port: number }> | ((key: string) => unknown);
  /** With TLS on AWS: `(address, callback) => callback(null, address)` (the certificates name the host). */
  dnsLookup?: (...args: any[]) => void;
  slotsRefreshTimeout?: number;
  slotsRefreshInterval?: number;
  /** Milliseconds before the next attempt to reach the cluster; `null`/`undefined` gives up. */
  clusterRetryStrategy?: ((times: number, reason?: Error) => number | void | null) | null;
  /** Any other ioredis `ClusterOptions` field, passed on unchecked. */
  [option: string]: any;
}

/** A Redis Cluster to connect to: what ioredis' `new Cluster(nodes, options)` takes. */
export interface RedisClusterConfig {
  /** Startup nodes (any of the cluster's nodes; the others are discovered): `'host:port'` or `{ host, port }`. */
  nodes: readonly (string | number | { readonly host?: string; readonly port?: number })[];
  options?: RedisClusterOptions;
}

/**
 * An ioredis `Cluster` of yours (`new Cluster(…)`): the transport only `duplicate()`s it, with the
 * same startup nodes and its own settings on top of yours.
 */
export interface RedisClusterClient {
  readonly isCluster: true;
  duplicate(overrideStartupNodes?: unknown[], overrideOptions?: RedisClusterOptions): unknown;
  readonly status: string;
}

export interface RedisTransportOptions {
  /** `redis://` URL for the connections the transport opens (and closes). */
  url?: string;
  /** ioredis options (`RedisOptions`) for the connections the transport opens. */
  options?: RedisConnectionOptions;
  /**
   * An ioredis client of yours — a `Redis` or a `Cluster` — duplicated to publish and to
   * subscribe; never closed.
   */
  client?: RedisClient | RedisClusterClient;
  /**
   * A Redis Cluster (instead of `url`/`options`/`client`). Redis 7 or later for sharded pub/sub.
   * A `url` or `options` that lead to a cluster node fail at startup.
   */
  cluster?: RedisClusterConfig;
  /**
   * On a cluster: `true` (the default) publishes with `SPUBLISH` and subscribes with
   * `SSUBSCRIBE`, so a message travels only inside the shard that owns its channel (a history
   * channel's Redis channel carries its id counter's hash tag: the history script `SPUBLISH`es in
   * its keys' slot). `false`: classic `PUBLISH`/`SUBSCRIBE`, which the cluster relays to every
   * node. Ignored on a single Redis.
   */
  shardedPubSub?: boolean;
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
   * How this process tells the others its connection counts, for `BroadcastService.globalCount`:
   * every `interval` ms (default 1000) the counts that changed, kept by Redis for `ttl` ms
   * (default 5000) without news, so a process that stops without closing drops out within `ttl`.
   * `false`: none (no timer, no keys); `globalCount` then rejects.
   */
  presence?: false | { interval?: number; ttl?: number };
  /**
   * How many id counters history is spread over (1 to 16; default 1 on one Redis, 16 on a
   * cluster). Each history channel's ids come from counter `FNV-1a(channel) mod historyCounters`,
   * whose keys (and Redis channel) share one hash tag: on a Redis Cluster the counters, and so the
   * history writes, spread over that many slots instead of one. With one counter ids are
   * `<ms>-<seq>-<epoch>` as always; with more, `<k>:<ms>-<seq>-<epoch>`, and a connection in
   * channels of several counters resumes from a position naming each (see the README). Every
   * worker of an app must use the same value; changing it makes resuming clients get
   * `replayGap: true` once.
   */
  historyCounters?: number;
}
