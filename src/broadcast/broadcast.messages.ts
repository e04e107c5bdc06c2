/** Every text the broadcast layer puts in an error or a log line. */
export const BROADCAST_MESSAGES = {
  idOnHistoryChannel: (channel: string) =>
    `Channel "${channel}" keeps history, so the library assigns event ids: drop \`id\`, or publish with { history: false } to send your own`,
  notAnEndpoint: (name: string) => `${name} is not an @SseEndpoint class`,
  unknownTransport: (described: string) =>
    `Unknown SSE transport ${described}: use { type: 'memory' } or { type: 'redis' }`,
  historySize: (size: unknown) => `history.size must be a positive integer, got ${String(size)}`,
  historyTtl: (ttl: unknown) =>
    `history.ttl must be a positive number of seconds, got ${String(ttl)}`,
  historyChannels: (channel: string) => `history.channels("${channel}")`,
  ioredisMissing:
    "The Redis transport needs the 'ioredis' package, which is an optional peer dependency: run `npm install ioredis`.",
  unsubscribeFailed: (channel: string, message: string) =>
    `Unsubscribing from channel "${channel}" failed: ${message}`,
  replayFailed: (channel: string, message: string) =>
    `Replaying channel "${channel}" failed (replayGap is true): ${message}`,
  positionHeadFailed: (channel: string, message: string) =>
    `Reading the newest history id for a connection joining channel "${channel}" failed (a resume of it will report replayGap): ${message}`,
  historyCounters: (counters: unknown, max: number) =>
    `historyCounters must be an integer from 1 to ${max}, got ${String(counters)}`,
  catchUpFailed: (channel: string, message: string) =>
    `Catching up channel "${channel}" after resubscribing failed: ${message}`,
  liveGap: (channel: string, members: number, why: string, policy: string) =>
    `${members} live stream(s) of channel "${channel}" may have missed events while this worker ` +
    `was not subscribed (${why}); ${policy === 'close' ? 'closing them so their clients resume' : "kept open (liveGap: 'close' closes them so their clients resume)"}`,
  redisTimedOut: (what: string, ms: number) =>
    `Redis transport: ${what} not accepted within ${ms} ms (Redis unreachable?)`,
  redisClosed: (what: string) => `Redis transport: ${what} refused: the transport is closed`,
  redisFailed: (what: string, message: string) => `Redis transport: ${what} failed: ${message}`,
  redisConnectFailed: (ms: number, why: string) =>
    `Redis transport: could not connect to Redis within ${ms} ms (failFast)${why}`,
  redisClusterUnreachable: (nodes: string) => `no cluster startup node reachable (${nodes})`,
  redisNotReached: (why: string) => `Redis transport: ${why}; reconnecting`,
  redisSpeaksTls: (address: string, fix: string) => `${address} speaks TLS: ${fix}`,
  redisLoginRefused: (why: string) =>
    `Redis transport: Redis refused the login (failFast)${why}; check the username and password`,
  redisCertificateRefused: (why: string) =>
    `Redis transport: the server's TLS certificate was not trusted (failFast)${why}; check the tls options (ca, servername)`,
  redisConnectionFailed: (role: string, message: string) =>
    `Redis ${role} connection failed: ${message}`,
  redisDown:
    'Redis transport is down: publishes wait up to publishTimeout, then fail; reconnecting',
  redisUp: (channels: number) => `Redis transport is up again; resubscribed ${channels} channel(s)`,
  redisHealthUp: 'Redis transport is up again: Redis answers and accepts writes',
  redisHung: (ms: number) =>
    `Redis transport is down: Redis did not answer a health probe within ${ms} ms (hung or overloaded?); publishes fail at their deadline and are never delivered later`,
  redisWritesRefused: (message: string) =>
    `Redis transport is down: Redis refuses writes (${message}); publishes with history fail`,
  redisTooManyPending: (what: string, max: number) =>
    `Redis transport: ${what} refused: ${max} publishes already wait on Redis (maxPendingPublishes); not sent`,
  redisAwaitingProbe:
    'Redis transport is down: a cluster master was lost; up again once every master answers a health probe',
  redisSlotMoved: (what: string) =>
    `Redis transport: ${what} reached a cluster node that no longer owns its channel's slot (resharding or failover) and did nothing; the slot map is being refreshed, publish again`,
  redisExpired: (what: string, ms: number) =>
    `Redis transport: ${what} reached Redis after its ${ms} ms deadline and did nothing (Redis slow or hung?)`,
  redisUnanswered: (what: string, ms: number) =>
    `Redis transport: ${what}: Redis has not answered ${ms} ms past its deadline; it ran only if it ran before the deadline (outcome 'unknown')`,
  redisLostInFlight: (what: string) =>
    `Redis transport: ${what}: the connection to Redis closed while it was in flight; it may or may not have been delivered (outcome 'unknown')`,
  presenceTiming: (interval: unknown, ttl: unknown) =>
    `presence needs a positive interval and a ttl at least twice as long (ms), got interval ${String(interval)}, ttl ${String(ttl)}`,
  presenceOff:
    'Redis transport: global count unavailable: presence is off (transport option presence: false)',
  redisNotConnected: (what: string) =>
    `Redis transport: ${what} failed: not connected to Redis (unreachable?)`,
  resubscribeFailed: (message: string) => `Resubscribing to Redis channels failed: ${message}`,
  garbageOnChannel: (name: string) =>
    `Skipped a message on Redis channel "${name}" that is not an SSE frame of this library ` +
    `(another publisher or version?); further ones on this channel are skipped silently`,
  redisIsClusterNode: (address: string) =>
    `Redis transport: ${address} is a Redis Cluster node (cluster_enabled:1): configure it as ` +
    "transport: { type: 'redis', cluster: { nodes: [...] } } instead of url/options (through a " +
    'single node, history writes fail with MOVED and every PUBLISH is relayed to every node)',
  redisClusterNoOwner: (channel: string) =>
    `Redis transport: no master of the cluster is known to own Redis channel "${channel}" (cluster not reachable yet?)`,
};
