/** Something with a deadline (ms on `Date.now()`'s clock) that may settle before it. @internal */
export interface Expiring {
  readonly deadline: number;
  readonly settled: boolean;
}

/** Settled items kept at the head of the queue before it is compacted. */
const COMPACT_AFTER = 1024;

/**
 * One timer for many deadlines, instead of one timer per item. Items are added in deadline order
 * (each publish gets `now + publishTimeout`), so the queue is sorted and only its head needs a
 * timer; settled items leave when they reach the head. `expire` is called once per item whose
 * deadline passed unsettled (an item added with an earlier deadline than the one before it, after
 * a step back of the wall clock, expires with that one).
 * @internal
 */
export class DeadlineSweep<T extends Expiring> {
  private items: T[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly expire: (item: T) => void) {}

  get size(): number {
    return this.items.length - this.head;
  }

  add(item: T): void {
    this.items.push(item);
    if (!this.timer) this.arm(this.items[this.head].deadline);
  }

  /** Call when an item settled: drops the settled items at the head. */
  settled(): void {
    while (this.head < this.items.length && this.items[this.head].settled) this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private arm(deadline: number): void {
    this.timer = setTimeout(() => this.sweep(), Math.max(0, deadline - Date.now()));
  }

  private sweep(): void {
    this.timer = null;
    const now = Date.now();
    // `expire` may settle items (and so call `settled()`): fields are read afresh each turn.
    while (this.head < this.items.length) {
      const item = this.items[this.head];
      if (!item.settled && item.deadline > now) break;
      this.head++;
      if (!item.settled) this.expire(item);
    }
    this.settled();
    if (!this.timer && this.head < this.items.length) this.arm(this.items[this.head].deadline);
  }
}
