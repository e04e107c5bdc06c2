/**
 * The Redis channel an SSE channel's messages travel on: `<prefix><channel>`, and for a history
 * channel of counter `k` (history spread over several id counters) `<prefix>{history:<k>}<channel>`:
 * the hash tag puts it in the slot of the counter's keys, so the history script, which publishes
 * on it, touches one slot (a cluster runs it on one shard, sharded pub/sub with `SPUBLISH`). With
 * one counter (`counter` undefined) the name is what it always was. Publish and subscribe both go
 * through here; the receiving side maps names back through what it subscribed to.
 */
export function redisChannelOf(
  prefix: string,
  channel: string,
  counter: number | undefined,
): string {
  return counter === undefined ? prefix + channel : `${prefix}{history:${counter}}${channel}`;
}

/** The hash tag of a counter's keys (`{history}` for the one counter). */
export function historyTagOf(counter: number | undefined): string {
  return counter === undefined ? '{history}' : `{history:${counter}}`;
}
