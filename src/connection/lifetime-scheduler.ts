/** A connection that can be ended when its lifetime is over. */
export interface LifetimeTarget {
  expire(): void;
}

/** How early a tick may fire and still count as on time (timers can fire a hair early). */
const TICK_SLACK_MS = 20;

/**
 * Ends connections after their `maxLifetime`, with one shared one-second timer (unref'd, and only
 * while some connection has a lifetime) and a bucket per tick: no timer per connection. Buckets
 * are counted from the timer's own start, so a stream ends at the first tick at or after its due
 * time: never early, at most one tick (a second) late.
 */
export class LifetimeScheduler {
  private readonly buckets = new Map<number, Set<LifetimeTarget>>();
  private readonly bucketOf = new Map<LifetimeTarget, number>();
  private timer: NodeJS.Timeout | null = null;
  private origin = 0;

  /** Schedules `target` to expire after `seconds` ±10 % (jitter spreads the reconnections). */
  schedule(target: LifetimeTarget, seconds: number): void {
    const now = Date.now();
    if (!this.timer) {
      this.origin = now;
      this.timer = setInterval(() => this.tick(), 1000).unref();
    }
    const jittered = seconds * (0.9 + Math.random() * 0.2);
    const due = Math.max(1, Math.ceil((now + jittered * 1000 - this.origin) / 1000));
    let bucket = this.buckets.get(due);
    if (!bucket) this.buckets.set(due, (bucket = new Set()));
    bucket.add(target);
    this.bucketOf.set(target, due);
  }

  cancel(target: LifetimeTarget): void {
    const due = this.bucketOf.get(target);
    if (due === undefined) return;
    this.bucketOf.delete(target);
    const bucket = this.buckets.get(due)!;
    bucket.delete(target);
    if (bucket.size === 0) this.buckets.delete(due);
    this.stopIfIdle();
  }

  get size(): number {
    return this.bucketOf.size;
  }

  clear(): void {
    this.buckets.clear();
    this.bucketOf.clear();
    this.stopIfIdle();
  }

  private tick(): void {
    const now = Math.floor((Date.now() + TICK_SLACK_MS - this.origin) / 1000);
    for (const [due, bucket] of this.buckets) {
      if (due > now) continue;
      this.buckets.delete(due);
      for (const target of bucket) {
        this.bucketOf.delete(target);
        target.expire();
      }
    }
    this.stopIfIdle();
  }

  private stopIfIdle(): void {
    if (this.bucketOf.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
  }
}
