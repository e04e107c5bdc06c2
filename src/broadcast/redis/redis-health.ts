import type { Redis } from 'ioredis';
import { describeError } from '../../connection/index.js';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import type { RedisClock, RedisTime } from './redis-clock.js';
import { PROBE } from './redis.scripts.js';

/** A Redis error that refuses writes while the connection is fine. */
const WRITE_REFUSED = /^(OOM|READONLY)\b|\b(OOM|READONLY) /;

/** Whether `error` says Redis refuses writes (out of memory, a read-only replica). @internal */
export function refusesWrites(error: unknown): boolean {
  return WRITE_REFUSED.test(describeError(error).message);
}

/** Timing of the probe, in ms. @internal */
export const PROBE_TIMING = { every: 1000, timeout: 1000, tick: 250 };

/** One round of probes: when it was sent, and how many are still unanswered. */
interface ProbeRound {
  sentAt: number;
  left: number;
  /** A probe of the round failed: the round cannot say all is well. */
  failed: boolean;
}

/**
 * One health probe per transport: every second or so a tiny write (`PROBE`) on the publisher
 * connection — one per key `keys()` names: on a cluster one per master, each in a slot the master
 * owns — a round at a time, with a short timeout. It reports a problem when a Redis does not answer
 * in time (hung, not only disconnected) or refuses the write (OOM, READONLY), and its absence when
 * a whole round succeeds. Its `TIME` replies refresh the clock offset. One unref'd timer.
 * @internal
 */
export class RedisHealthProbe {
  private timer: NodeJS.Timeout | null = null;
  /** The round in flight, if any (a token: a stale answer is ignored). */
  private pending: ProbeRound | null = null;
  private lastSent = 0;

  constructor(
    private readonly publisher: () => Redis,
    private readonly keys: () => readonly string[],
    private readonly clock: RedisClock,
    private readonly report: (problem: string | null) => void,
  ) {}

  /** Makes the probe script callable on `client`. */
  static install(client: Redis): void {
    client.defineCommand('sseProbe', { numberOfKeys: 1, lua: PROBE });
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), PROBE_TIMING.tick);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.pending = null;
  }

  /** The publisher connection closed: its probe will never be answered. */
  forget(): void {
    this.pending = null;
  }

  private tick(): void {
    const now = Date.now();
    if (this.pending) {
      if (now - this.pending.sentAt > PROBE_TIMING.timeout)
        this.report(BROADCAST_MESSAGES.redisHung(PROBE_TIMING.timeout));
      return;
    }
    const client = this.publisher();
    if (client.status !== 'ready' || now - this.lastSent < PROBE_TIMING.every) return;
    const keys = this.keys();
    if (keys.length === 0) return;
    const round: ProbeRound = { sentAt: now, left: keys.length, failed: false };
    this.pending = round;
    this.lastSent = now;
    const ttl = PROBE_TIMING.every * 5;
    for (const key of keys)
      (client as unknown as ProbeCommand).sseProbe(key, ttl).then(
        (time) => {
          if (this.pending !== round) return;
          this.clock.record(time, round.sentAt, Date.now());
          this.answered(round);
        },
        (error: unknown) => {
          if (this.pending !== round) return;
          // Other failures are the connection's (its own up/down state covers them).
          round.failed = true;
          if (refusesWrites(error))
            this.report(BROADCAST_MESSAGES.redisWritesRefused(describeError(error).message));
          this.answered(round);
        },
      );
  }

  /** One probe of `round` answered; the round ends with its last answer. */
  private answered(round: ProbeRound): void {
    if (--round.left > 0) return;
    this.pending = null;
    if (!round.failed) this.report(null);
  }
}

interface ProbeCommand {
  sseProbe(key: string, ttlMs: number): Promise<RedisTime>;
}
