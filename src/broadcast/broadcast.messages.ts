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
  redisConnectionFailed: (role: string, message: string) =>
    `Redis ${role} connection failed: ${message}`,
  redisDown:
    'Redis transport is down: publishes wait up to publishTimeout, then fail; reconnecting',
  redisUp: (channels: number) => `Redis transport is up again; resubscribed ${channels} channel(s)`,
  resubscribeFailed: (message: string) => `Resubscribing to Redis channels failed: ${message}`,
  garbageOnChannel: (name: string) =>
    `Skipped a message on Redis channel "${name}" that is not an SSE frame of this library ` +
    `(another publisher or version?); further ones on this channel are skipped silently`,
};
