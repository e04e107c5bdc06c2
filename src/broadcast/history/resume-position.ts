import { eventIdOf, orderWithinEpoch, parseEventId, type EventId } from './event-id.js';
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
  // One entry per counter, sorted by counter (the one counter, `undefined`, first). A spanning
  // connection's position moves on every event and lives as long as the connection: it keeps
  // numbers in place (and an epoch only when it changes), never the event's own id objects or
  // strings, which would outlive the young generation for nothing.
  private readonly counters: (number | undefined)[] = [];
  private readonly ms: number[] = [];
  private readonly seq: number[] = [];
  private readonly epochs: string[] = [];

  /** `null` for anything that is not a position we could have written (untrusted input). */
  static parse(text: string | null | undefined): ResumePosition | null {
    if (typeof text !== 'string' || text.length === 0) return null;
    const pieces = text.split(SEPARATOR);
    if (pieces.length > MAX_PARTS) return null;
    const position = new ResumePosition();
    for (const piece of pieces) {
      const id = parseEventId(piece);
      if (!id || position.indexOf(id.counter) !== -1) return null;
      position.set(id, -1);
    }
    return position;
  }

  /** The id to resume `counter`'s channels from; `undefined`: this position never saw it. */
  since(counter: number | undefined): EventId | undefined {
    const at = this.indexOf(counter);
    if (at === -1) return undefined;
    return eventIdOf(counter, this.ms[at], this.seq[at], this.epochs[at]);
  }

  get size(): number {
    return this.counters.length;
  }

  /** Moves `id`'s counter forward to `id`; returns whether the position changed. */
  advance(id: EventId): boolean {
    const at = this.indexOf(id.counter);
    // Within an epoch only forward; another epoch replaces the part.
    if (
      at !== -1 &&
      this.epochs[at] === id.epoch &&
      orderWithinEpoch(id.seq, id.ms, this.seq[at], this.ms[at]) <= 0
    )
      return false;
    this.set(id, at);
    return true;
  }

  /** `<k>:<ms>-<seq>-<epoch>_…`, made when asked (it changes with every event). */
  format(): string {
    let text = '';
    for (let i = 0; i < this.counters.length; i++) {
      const counter = this.counters[i];
      if (i > 0) text += SEPARATOR;
      if (counter !== undefined) text += `${counter}:`;
      text += `${this.ms[i]}-${this.seq[i]}-${this.epochs[i]}`;
    }
    return text;
  }

  private indexOf(counter: number | undefined): number {
    for (let i = 0; i < this.counters.length; i++) if (this.counters[i] === counter) return i;
    return -1;
  }

  private set(id: EventId, at: number): void {
    if (at === -1) {
      // The one counter (`undefined`) goes first, then the others by number.
      const rank = (counter: number | undefined) => counter ?? -1;
      at = 0;
      while (at < this.counters.length && rank(this.counters[at]) < rank(id.counter)) at++;
      this.counters.splice(at, 0, id.counter);
      this.ms.splice(at, 0, id.ms);
      this.seq.splice(at, 0, id.seq);
      this.epochs.splice(at, 0, id.epoch);
      return;
    }
    this.ms[at] = id.ms;
    this.seq[at] = id.seq;
    if (this.epochs[at] !== id.epoch) this.epochs[at] = id.epoch;
  }
}
