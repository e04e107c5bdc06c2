/**
 * The Redis channel an SSE channel's messages travel on: `<prefix><channel>`, or, for a history
 * channel whose keys carry a hash tag that the channel must share, `<prefix><tag><channel>` (e.g.
 * `sse:{history:3}user:42`). The tag puts the channel in the slot of its id counter's keys, so the
 * history script, which publishes on it, touches one slot: a cluster runs it on one shard, and
 * with sharded pub/sub (`SPUBLISH`) the message stays in that shard. On one Redis with one counter
 * there is no tag: the name is what it always was. Publish and subscribe both go through here;
 * the receiving side maps names back through what it subscribed to.
 */
export function redisChannelOf(prefix: string, channel: string, tag?: string): string {
  return tag === undefined ? prefix + channel : prefix + tag + channel;
}

/** The hash tag of a counter's keys (`{history}` for the one counter). */
export function historyTagOf(counter: number | undefined): string {
  return counter === undefined ? '{history}' : `{history:${counter}}`;
}
