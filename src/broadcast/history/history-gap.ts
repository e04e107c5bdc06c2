import { isAfter, sameCounter, type EventId } from './event-id.js';

/** What a store knows when a client asks for the events of a channel after `since`. */
export interface HistoryPosition {
  /** The id the client presented (for this channel's counter). */
  since: EventId;
  /** The counter of the channel (`undefined`: the one counter). */
  counter?: number;
  /** The store's current epoch. */
  epoch: string;
  /** The newest id the store issued in this epoch, on any channel (`null`: none yet). */
  newest: EventId | null;
  /** The newest id published on this channel in this epoch (`null`: none, or none within `ttl`). */
  channelNewest: EventId | null;
  /**
   * What the store still holds after `since`: the channel's event just before the first of them
   * (`null`: none in this epoch; `undefined`: unknown), and the last of them. `null`: nothing.
   */
  replayed: { readonly previous: EventId | null | undefined; readonly last: EventId } | null;
  /**
   * The highest `seq` this worker had seen (published or received) of the channel's counter when it
   * asked: a counter whose newest is below it lost events the worker saw (a failover that lost
   * writes), whatever the client's id. Left out where the store cannot lose what it issued
   * (memory).
   */
  seenSeq?: number;
  /** History's `ttl` in milliseconds (0: none), and the store's clock. */
  ttlMs: number;
  now: number;
}

/**
 * The one gap rule of every store: `true` unless the replay can show nothing after `since` is
 * missing. A gap: an id of another epoch (the store lost its counter since), an id the store never
 * issued (newer than its newest), an id older than the `ttl` (its events may have expired unseen),
 * or a channel whose events after `since` are not all held — the first one held follows an event
 * newer than `since` (trimmed, expired, or evicted with its stream), or the channel's newest event
 * is not the last one held (the stream is shorter, or gone) — or a store that is behind what the
 * worker saw (it lost writes; until the next publish starts a new epoch, its ids look valid).
 */
export function historyGap(position: HistoryPosition): boolean {
  const { since, counter, epoch, newest, channelNewest, replayed, ttlMs, now, seenSeq } = position;
  if (isUnissued(since, epoch, newest, counter)) return true;
  if (seenSeq !== undefined && newest && newest.seq < seenSeq) return true;
  if (ttlMs > 0 && since.ms < now - ttlMs) return true;
  if (!channelNewest || !isAfter(channelNewest, since)) return replayed !== null;
  if (!replayed || replayed.previous === undefined) return true;
  if (replayed.previous && isAfter(replayed.previous, since)) return true;
  return replayed.last.epoch !== epoch || !sameId(replayed.last, channelNewest);
}

/**
 * An id the channel's counter (`counter`) did not issue in its current epoch: nothing is replayed
 * for it (not ours). An id of another counter is never compared: it was not issued by this one.
 */
export function isUnissued(
  since: EventId,
  epoch: string,
  newest: EventId | null,
  counter?: number,
): boolean {
  if (since.counter !== counter || (newest && !sameCounter(since, newest))) return true;
  return since.epoch !== epoch || !newest || isAfter(since, newest);
}

function sameId(a: EventId, b: EventId): boolean {
  return a.epoch === b.epoch && a.seq === b.seq && a.ms === b.ms;
}
