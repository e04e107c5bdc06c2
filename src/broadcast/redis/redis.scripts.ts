/**
 * Lua run by Redis for history. One script takes the next id from one counter for all channels of
 * the prefix, stores the event in the channel's stream and publishes it, atomically: a publish
 * that resolved is stored, the live copy carries the stream's id, and ids of all channels are in
 * one order. Trimming is amortised like `MAXLEN ~ size` (in steps of up to 100 entries) but exact,
 * so the script knows the newest id it removed (Redis 7.0 does not record it) and a replay can
 * tell whether the client missed something that is gone. The script assembles the message from
 * pieces the codec gives it (see `redis-message.codec.ts`): it knows no wire format itself.
 *
 * KEYS: 1 counter hash, 2 stream, 3 trim mark.
 * ARGV: 1 Redis channel, 2 message head (before the id), 3 message tail (after the id, up to the
 * frame), 4 the frame's id line prefix, 5 the frame's body, 6 size, 7 ttl in ms (0: none),
 * 8 deadline in ms on Redis's clock: a script that runs later stores and publishes nothing and
 * returns 0 (see `DEADLINE` below).
 */
export const PUBLISH_WITH_HISTORY = `
local function seqOf(id) return tonumber(string.match(id, '-(%d+)$')) end
local size, ttlMs = tonumber(ARGV[6]), tonumber(ARGV[7])
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if ms > tonumber(ARGV[8]) then return 0 end
local lastMs = tonumber(redis.call('HGET', KEYS[1], 'ms') or '0')
if ms < lastMs then ms = lastMs end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', KEYS[1], 'ms', ms)
local id = ms .. '-' .. seq
local frame = ARGV[4] .. id .. '\\n' .. ARGV[5]
redis.call('XADD', KEYS[2], id, 'f', frame)
local mark = nil
local length = redis.call('XLEN', KEYS[2])
if length >= size + math.min(100, size) then
  local excess = length - size
  local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', excess + 1)
  mark = head[excess][1]
  redis.call('XTRIM', KEYS[2], 'MINID', head[excess + 1][1])
end
if ttlMs > 0 then
  local expired = redis.call('XREVRANGE', KEYS[2], '(' .. (ms - ttlMs) .. '-0', '-', 'COUNT', 1)
  if #expired > 0 then
    if not mark or seqOf(expired[1][1]) > seqOf(mark) then mark = expired[1][1] end
    redis.call('XTRIM', KEYS[2], 'MINID', (ms - ttlMs) .. '-0')
  end
end
if mark then
  local previous = redis.call('GET', KEYS[3])
  if not previous or seqOf(mark) > seqOf(previous) then redis.call('SET', KEYS[3], mark) end
end
if ttlMs > 0 then
  redis.call('PEXPIRE', KEYS[2], ttlMs)
  redis.call('PEXPIRE', KEYS[3], ttlMs)
end
redis.call('PUBLISH', ARGV[1], ARGV[2] .. id .. ARGV[3] .. frame)
return id
`;

/** KEYS as above; ARGV[1]: the id to read after. Returns { last issued id, trim mark, entries }. */
export const READ_HISTORY = `
local last = redis.call('HMGET', KEYS[1], 'ms', 'seq')
local newest = last[2] and (last[1] .. '-' .. last[2]) or ''
local mark = redis.call('GET', KEYS[3]) or ''
return { newest, mark, redis.call('XRANGE', KEYS[2], '(' .. ARGV[1], '+') }
`;

/**
 * A live-only publish with a deadline. KEYS: none; ARGV: 1 Redis channel, 2 message, 3 deadline in
 * ms on Redis's clock. Returns 0 when run past the deadline (nothing published), else 1. Every
 * publish carries its deadline into Redis, so one that a hung Redis runs late does nothing: the
 * caller rejected it already.
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
