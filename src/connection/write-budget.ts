import { BACKLOG_CHECK_MS, watchBacklog, type BacklogWatchTarget } from './backlog-watch.js';
import type { SseCounters } from './sse-counters.js';
import { flushAtTickEnd, type TickFlushTarget } from './tick-flush.js';
import type { ResponseWriter } from './writers/response-writer.js';

/** What a slow client gets past `maxBufferedBytes`: closed (`'close'`) or events dropped (`'drop'`). */
export type SlowConsumerPolicy = 'close' | 'drop';

export interface WriteLimits {
  /** The most bytes that may wait for this connection beyond what its socket accepted. */
  maxBufferedBytes: number;
  slowConsumer: SlowConsumerPolicy;
}

/**
 * One connection's writes per tick and its byte bound. The first write of a tick corks the
 * socket and asks for {@link WriteBudget.flushTick} at the tick's end, so a burst leaves in one
 * `writev`; there, after the writes reached the kernel, the bytes still waiting are held against
 * `maxBufferedBytes`. A client reading a large event is not slow: over the bound, the connection
 * is watched by one shared timer and is slow only if its backlog has not shrunk a second later,
 * or grew by another `maxBufferedBytes` meanwhile. Then `'drop'` skips broadcasts until the
 * backlog is below half the bound (hysteresis, so it does not flap at the limit), and `'close'`
 * calls `overflow`.
 */
export class WriteBudget implements TickFlushTarget, BacklogWatchTarget {
  private inTick = false;
  private corked = false;
  /** Over the bound with `'drop'`: broadcasts are skipped until the backlog is below half of it. */
  dropping = false;
  /** Over the bound and watched: the backlog at the last look; else -1. */
  private overBound = -1;

  constructor(
    private readonly writer: ResponseWriter,
    private readonly limits: WriteLimits,
    private readonly counters: SseCounters,
    private readonly overflow: (pendingBytes: number, why: string) => void,
  ) {}

  /** Counts `bytes` about to be written; the tick's first write corks and schedules the flush. */
  charge(bytes: number): void {
    this.counters.bytesWritten += bytes;
    if (this.inTick) return;
    this.inTick = true;
    this.corked = this.writer.cork();
    flushAtTickEnd(this);
  }

  /** While `dropping`: whether a broadcast frame may be written again (the backlog drained). */
  drained(): boolean {
    if (this.writer.pendingBytes > this.limits.maxBufferedBytes / 2) return false;
    this.dropping = false;
    return true;
  }

  flushTick(): void {
    this.inTick = false;
    if (this.corked) {
      this.corked = false;
      this.writer.uncork();
    }
    const pending = this.writer.pendingBytes;
    if (pending <= this.limits.maxBufferedBytes || this.dropping) return;
    if (this.overBound < 0) {
      this.overBound = pending;
      watchBacklog(this);
    } else if (pending > this.overBound + this.limits.maxBufferedBytes) {
      this.slow(pending, 'grew by over maxBufferedBytes while over it');
    }
  }

  /** The shared timer's look at a backlog over the bound; `false` ends the watch. */
  checkBacklog(): boolean {
    const pending = this.writer.pendingBytes;
    if (this.overBound < 0 || pending <= this.limits.maxBufferedBytes) {
      this.overBound = -1;
      return false;
    }
    if (pending < this.overBound) {
      this.overBound = pending; // draining: look again later
      return true;
    }
    this.slow(pending, `not drained for ${BACKLOG_CHECK_MS} ms`);
    return false;
  }

  private slow(pending: number, why: string): void {
    this.overBound = -1;
    if (this.limits.slowConsumer === 'drop') this.dropping = true;
    else this.overflow(pending, why);
  }
}
