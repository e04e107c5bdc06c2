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
 * `maxBufferedBytes`: over it, `'drop'` skips broadcasts until the backlog is below half the
 * bound (hysteresis, so it does not flap at the limit), `'close'` calls `overflow`.
 */
export class WriteBudget implements TickFlushTarget {
  private inTick = false;
  private corked = false;
  private dropping = false;

  constructor(
    private readonly writer: ResponseWriter,
    private readonly limits: WriteLimits,
    private readonly counters: SseCounters,
    private readonly overflow: (pendingBytes: number) => void,
  ) {}

  /** Counts `bytes` about to be written; the tick's first write corks and schedules the flush. */
  charge(bytes: number): void {
    this.counters.bytesWritten += bytes;
    if (this.inTick) return;
    this.inTick = true;
    this.corked = this.writer.cork();
    flushAtTickEnd(this);
  }

  /** Whether a broadcast frame may be written now (`false` while dropping). */
  admits(): boolean {
    if (!this.dropping) return true;
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
    if (pending <= this.limits.maxBufferedBytes) return;
    if (this.limits.slowConsumer === 'drop') this.dropping = true;
    else this.overflow(pending);
  }
}
