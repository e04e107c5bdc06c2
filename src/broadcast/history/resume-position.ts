import { compareEventIds, formatEventId, parseEventId, type EventId } from './event-id.js';
import { MAX_HISTORY_COUNTERS } from './history-counter.js';

/** Between the parts of a position; never in an id. */
const SEPARATOR = '_';
/** One part per counter, plus one id of the one counter (`historyCounters` changed meanwhile). */
const MAX_PARTS = MAX_HISTORY_COUNTERS + 1;

/**
 * Where a connection is in every id counter its channels use: the last id it received of each,
 * written `<k>:<ms>-<seq>-<epoch>_<j>:<ms>-<seq>-<epoch>` (parts sorted by counter; at most 17
 * parts of at most 51 characters: under 900 bytes, within `MAX_LAST_EVENT_ID_BYTES`). A plain
 * event id is a position of one part, so the `id:` of a frame and a position block are read alike.
 * Positions only move forward within an epoch; an id of another epoch replaces its counter's part
 * (the counter was reset: what came before it is gone either way).
 */
export class ResumePosition {
  private readonly parts = new Map<number | undefined, EventId>();

  /** `null` for anything that is not a position we could have written (untrusted input). */
  static parse(text: string | null | undefined): ResumePosition | null {
    if (typeof text !== 'string' || text.length === 0) return null;
    const pieces = text.split(SEPARATOR);
    if (pieces.length > MAX_PARTS) return null;
    const position = new ResumePosition();
    for (const piece of pieces) {
      const id = parseEventId(piece);
      if (!id || position.parts.has(id.counter)) return null;
      position.parts.set(id.counter, id);
    }
    return position;
  }

  /** The id to resume `counter`'s channels from; `undefined`: this position never saw it. */
  since(counter: number | undefined): EventId | undefined {
    return this.parts.get(counter);
  }

  get size(): number {
    return this.parts.size;
  }

  /** Moves `id`'s counter forward to `id`; returns whether the position changed. */
  advance(id: EventId): boolean {
    const current = this.parts.get(id.counter);
    if (current) {
      const order = compareEventIds(id, current);
      if (order !== null && order <= 0) return false;
    }
    this.parts.set(id.counter, id);
    return true;
  }

  format(): string {
    return [...this.parts.values()]
      .sort((a, b) => (a.counter ?? -1) - (b.counter ?? -1))
      .map(formatEventId)
      .join(SEPARATOR);
  }
}
