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
  // One entry per counter, sorted by counter (the one counter, `undefined`, first); a position
  // has a handful of parts and moves on every event of a spanning connection: arrays, not maps.
  private counters: (number | undefined)[] = [];
  private ids: EventId[] = [];
  /** Each part as written: a frame's position is a join of them. */
  private texts: string[] = [];
  private text = '';

  /** `null` for anything that is not a position we could have written (untrusted input). */
  static parse(text: string | null | undefined): ResumePosition | null {
    if (typeof text !== 'string' || text.length === 0) return null;
    const pieces = text.split(SEPARATOR);
    if (pieces.length > MAX_PARTS) return null;
    const position = new ResumePosition();
    for (const piece of pieces) {
      const id = parseEventId(piece);
      if (!id || position.indexOf(id.counter) !== -1) return null;
      position.set(id, piece);
    }
    return position;
  }

  /** The id to resume `counter`'s channels from; `undefined`: this position never saw it. */
  since(counter: number | undefined): EventId | undefined {
    const at = this.indexOf(counter);
    return at === -1 ? undefined : this.ids[at];
  }

  get size(): number {
    return this.ids.length;
  }

  /**
   * Moves `id`'s counter forward to `id` (`text`: `id` as written, if at hand); returns whether
   * the position changed.
   */
  advance(id: EventId, text?: string): boolean {
    const at = this.indexOf(id.counter);
    if (at !== -1) {
      const order = compareEventIds(id, this.ids[at]);
      if (order !== null && order <= 0) return false;
    }
    this.set(id, text ?? formatEventId(id), at);
    return true;
  }

  format(): string {
    return this.text;
  }

  private indexOf(counter: number | undefined): number {
    for (let i = 0; i < this.counters.length; i++) if (this.counters[i] === counter) return i;
    return -1;
  }

  private set(id: EventId, text: string, at = this.indexOf(id.counter)): void {
    if (at === -1) {
      // The one counter (`undefined`) goes first, then the others by number.
      const rank = (counter: number | undefined) => counter ?? -1;
      at = 0;
      while (at < this.counters.length && rank(this.counters[at]) < rank(id.counter)) at++;
      this.counters.splice(at, 0, id.counter);
      this.ids.splice(at, 0, id);
      this.texts.splice(at, 0, text);
    } else {
      this.ids[at] = id;
      this.texts[at] = text;
    }
    let joined = this.texts[0];
    for (let i = 1; i < this.texts.length; i++) joined += SEPARATOR + this.texts[i];
    this.text = joined;
  }
}
