/**
 * A message's result when the cluster node that ran its call does not own its slot (the client's
 * slot map was stale: resharded, failed over): the script did nothing for it.
 */
export const NOT_LOCAL = -1;

/**
 * Lua run by Redis for history. One script takes the next id from the channel's counter (one for
 * all channels of the prefix, or one of `historyCounters`: KEYS and the Redis channel then share
 * the counter's hash tag, so the script touches one slot), stores the event in the channel's stream and publishes it, atomically: a publish
 * that resolved is stored, the live copy carries the stream's id, and ids of all channels are in
 * one order. Trimming is amortised like `MAXLEN ~ size` (in steps of up to 100 entries) but exact.
 * The script assembles the message from pieces the codec gives it (see `redis-message.codec.ts`):
 * it knows no wire format itself.
 *
 * Ids are `<ms>-<seq>-<epoch>`, or `<k>:<ms>-<seq>-<epoch>` on counter `k` (the stream entry id is
 * `<ms>-<seq>`). The counter hash holds the
 * `epoch`, `seq`, `ms`, and per channel `l:<channel>` the stream id of its newest event. A new
 * epoch starts when the hash has no epoch (Redis restarted without persistence, the hash was
 * evicted, expired or flushed) or its `seq` is below the highest one the caller has seen (a
 * failover lost writes): the hash is reset and `seq` continues above what was seen, so no id is
 * issued twice. Each stream entry records `p`, the stream id of the channel's previous event in
 * the epoch: a replay whose first entry follows an event newer than the client's is missing it
 * (trimmed, expired, or evicted with its stream). Each publish drops up to 2 random `l:` fields
 * older than the ttl, so the hash does not keep idle channels forever.
 *
 * KEYS: 1 counter hash, 2 stream.
 * ARGV: 1 Redis channel, 2 message head (before the id), 3 message tail (after the id, up to the
 * frame), 4 the frame's id line prefix, 5 the frame's body, 6 size, 7 ttl in ms, 8 the highest
 * seq the caller has seen, 9 an epoch to start if one is needed, 10 deadline in ms on Redis's
 * clock: a script that runs later stores and publishes nothing and returns 0, 11 the id's counter
 * prefix (`<k>:`, or empty with one counter).
 */
export const publishWithHistory = (command: 'PUBLISH' | 'SPUBLISH') => `
local size, ttlMs, seen = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if ms > tonumber(ARGV[10]) then return 0 end
local state = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'ms')
local epoch, seq = state[1], tonumber(state[2] or '0')
local lastMs = tonumber(state[3] or '0')
if ms < lastMs then ms = lastMs end
if not epoch or seq < seen then
  redis.call('DEL', KEYS[1])
  epoch = ARGV[9]
  if seen > seq then seq = seen end
end
seq = seq + 1
local field = 'l:' .. ARGV[1]
local previous = redis.call('HGET', KEYS[1], field) or ''
local streamId = ms .. '-' .. seq
local id = ARGV[11] .. streamId .. '-' .. epoch
local frame = ARGV[4] .. id .. '\\n' .. ARGV[5]
redis.call('XADD', KEYS[2], streamId, 'f', frame, 'p', previous)
redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', seq, 'ms', ms, field, streamId)
local length = redis.call('XLEN', KEYS[2])
if length >= size + math.min(100, size) then
  local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', length - size + 1)
  redis.call('XTRIM', KEYS[2], 'MINID', head[length - size + 1][1])
end
if ttlMs > 0 then
  local oldest = ms - ttlMs
  redis.call('XTRIM', KEYS[2], 'MINID', oldest .. '-0')
  local probe = redis.call('HRANDFIELD', KEYS[1], 2, 'WITHVALUES')
  for i = 1, #probe, 2 do
    if string.sub(probe[i], 1, 2) == 'l:' and tonumber(string.match(probe[i + 1], '^(%d+)-')) < oldest then
      redis.call('HDEL', KEYS[1], probe[i])
    end
  end
  redis.call('PEXPIRE', KEYS[1], ttlMs)
  redis.call('PEXPIRE', KEYS[2], ttlMs)
end
redis.call('${command}', ARGV[1], ARGV[2] .. id .. ARGV[3] .. frame)
return id
`;

/** {@link publishWithHistory} on one Redis (or a cluster without sharded pub/sub). */
export const PUBLISH_WITH_HISTORY = publishWithHistory('PUBLISH');

/**
 * KEYS as above; ARGV: 1 the stream id to read after, 2 the Redis channel. Returns { epoch, the
 * newest stream id issued, the channel's newest stream id, entries }.
 */
export const READ_HISTORY = `
local last = redis.call('HMGET', KEYS[1], 'epoch', 'ms', 'seq', 'l:' .. ARGV[2])
local newest = last[3] and (last[2] .. '-' .. last[3]) or ''
return { last[1] or '', newest, last[4] or '', redis.call('XRANGE', KEYS[2], '(' .. ARGV[1], '+') }
`;

/**
 * The newest id a counter issued, for a connection whose position must name it before it receives
 * anything from it. Starts the counter's epoch as a publish would (no epoch, or `seq` below what
 * the caller has seen), so the id it returns is one later publishes follow. KEYS: 1 counter hash;
 * ARGV: 1 the highest seq the caller has seen on the counter, 2 an epoch to start if one is needed,
 * 3 ttl in ms (0: none). Returns { epoch, newest stream id (`<ms>-<seq>`) }.
 */
export const READ_HEAD = `
local state = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'ms')
local epoch, seq, ms = state[1], tonumber(state[2] or '0'), tonumber(state[3] or '0')
local seen = tonumber(ARGV[1])
if not epoch or seq < seen then
  local now = redis.call('TIME')
  local clock = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  if clock > ms then ms = clock end
  redis.call('DEL', KEYS[1])
  epoch = ARGV[2]
  if seen > seq then seq = seen end
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', seq, 'ms', ms)
  if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
return { epoch, ms .. '-' .. seq }
`;

/**
 * A live-only publish with a deadline. KEYS: none; ARGV: 1 Redis channel, 2 message, 3 deadline in
 * ms on Redis's clock. Returns 0 when run past the deadline (nothing published), else 1. Every
 * publish carries its deadline into Redis, so one that a hung Redis runs late does nothing, and
 * its caller rejects it on this 0 (`redis-publishes.ts`). The cluster's keyed variant is in
 * `redis-cluster.ts`.
 */
export const PUBLISH_LIVE = `
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[3]) then
  return 0
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`;

/**
 * The health probe: a tiny write (so it fails like a publish with history when Redis refuses
 * writes: OOM, READONLY) that expires by itself. KEYS: 1 probe key; ARGV: 1 its ttl in ms.
 * Returns Redis's `TIME`, which keeps the clock offset fresh.
 */
export const PROBE = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return redis.call('TIME')
`;

// --- Presence (`globalCount`) -------------------------------------------------------------------
// Each process keeps its counts in a hash of its own, `<prefix>{presence}:w:<worker id>` (field
// `t` its total, `c:<channel>` each channel's count), that expires unless refreshed, and in a
// sorted set `<prefix>{presence}:workers` scored by when it expires (on Redis's clock). All
// presence keys share the `{presence}` hash tag: one slot on a cluster.

/**
 * One flush of a process's counts. KEYS: 1 its hash, 2 the workers' sorted set. ARGV: 1 worker id,
 * 2 ttl in ms, 3 `'1'` for a full flush (the hash is rewritten from scratch), 4.. pairs of field
 * and count (0 deletes the field). A partial flush onto a hash that is gone (expired while Redis
 * was unreachable, lost in a restart) writes nothing and returns 0: the caller sends a full one.
 * Else returns 1. Drops the workers whose hash expired from the set.
 */
export const PRESENCE_FLUSH = `
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ttl = tonumber(ARGV[2])
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[1])
elseif redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
for i = 4, #ARGV, 2 do
  if ARGV[i + 1] == '0' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], ms + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ms)
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`;

/**
 * The sum of one field over the live workers but one. KEYS: 1 the workers' sorted set. ARGV: 1
 * the prefix of a worker's hash key (the worker id follows), 2 the field, 3 the worker to skip
 * (the caller, which adds its own live count). The hashes are not in KEYS (their names are in the
 * set) but share its hash tag, so they are in its slot on a cluster too.
 */
export const PRESENCE_COUNT = `
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local sum = 0
for _, worker in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ms, '+inf')) do
  if worker ~= ARGV[3] then
    sum = sum + tonumber(redis.call('HGET', ARGV[1] .. worker, ARGV[2]) or '0')
  end
end
return sum
`;

/** A process that closes leaves at once. KEYS: 1 its hash, 2 the workers' set; ARGV: 1 its id. */
export const PRESENCE_LEAVE = `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;
