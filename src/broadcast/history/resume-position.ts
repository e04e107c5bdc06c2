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
  /** Each part as written, and the counters in format order: a frame's position is cheap. */
  private readonly texts = new Map<number | undefined, string>();
  private order: (number | undefined)[] = [];

  /** `null` for anything that is not a position we could have written (untrusted input). */
  static parse(text: string | null | undefined): ResumePosition | null {
    if (typeof text !== 'string' || text.length === 0) return null;
    const pieces = text.split(SEPARATOR);
    if (pieces.length > MAX_PARTS) return null;
    const position = new ResumePosition();
    for (const piece of pieces) {
      const id = parseEventId(piece);
      if (!id || position.parts.has(id.counter)) return null;
      position.set(id, piece);
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

  /**
   * Moves `id`'s counter forward to `id` (`text`: `id` as written, if at hand); returns whether
   * the position changed.
   */
  advance(id: EventId, text?: string): boolean {
    const current = this.parts.get(id.counter);
    if (current) {
      const order = compareEventIds(id, current);
      if (order !== null && order <= 0) return false;
    }
    this.set(id, text ?? formatEventId(id));
    return true;
  }

  format(): string {
    if (this.order.length === 1) return this.texts.get(this.order[0])!;
    let text = '';
    for (const counter of this.order) text += (text ? SEPARATOR : '') + this.texts.get(counter)!;
    return text;
  }

  private set(id: EventId, text: string): void {
    if (!this.parts.has(id.counter)) {
      // (`sort` never hands `undefined` to a comparator: it would go last; the one counter goes first.)
      this.order = [...this.order, id.counter]
        .map((counter) => counter ?? -1)
        .sort((a, b) => a - b)
        .map((key) => (key === -1 ? undefined : key));
    }
    this.parts.set(id.counter, id);
    this.texts.set(id.counter, text);
  }
}
