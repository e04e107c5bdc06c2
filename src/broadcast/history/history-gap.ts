import { compareEventIds, type EventId } from './event-id.js';

/** What a store knows when a client asks for the events after `since`. */
export interface HistoryPosition {
  /** The id the client presented. */
  since: EventId;
  /** The newest id the store issued (`null`: none yet). */
  newest: EventId | null;
  /** The oldest id this store issued, when it knows (a memory store: ids before it are from another process). */
  oldest?: EventId | null;
  /** The newest id removed from the channel (trimmed by size or age); `null` if none. */
  trimmedUpTo: EventId | null;
  /** History's `ttl` in milliseconds (0: none), and the store's clock. */
  ttlMs: number;
  now: number;
}

/**
 * The one gap rule of every store: `true` unless the replay can show nothing after `since` is
 * missing — an id the store never issued (newer than its newest, or older than its oldest), a
 * channel trimmed past it, or an id older than the `ttl` (its events may have expired unseen).
 */
export function historyGap(position: HistoryPosition): boolean {
  const { since, newest, oldest, trimmedUpTo, ttlMs, now } = position;
  if (isUnissued(since, newest)) return true;
  if (oldest && compareEventIds(since, oldest) < 0) return true;
  if (trimmedUpTo && compareEventIds(trimmedUpTo, since) > 0) return true;
  return ttlMs > 0 && since.ms < now - ttlMs;
}

/** An id newer than anything the store issued: nothing is replayed for it (it is not ours). */
export function isUnissued(since: EventId, newest: EventId | null): boolean {
  return !newest || compareEventIds(since, newest) > 0;
}
