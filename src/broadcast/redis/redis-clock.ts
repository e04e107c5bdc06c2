/** Redis's `TIME` reply: seconds and microseconds, as strings. */
export type RedisTime = [string, string];

interface Sample {
  /** Redis's clock minus the local one, in ms. */
  offset: number;
  /** Round trip of the measurement, in ms: the offset is right to within half of it. */
  rtt: number;
  at: number;
}

/** A sample older than this is replaced by any newer one, even a less precise one. */
const MAX_AGE_MS = 60_000;
/**
 * Added to the round trip in `marginMs`: timer and clock granularity, and the time an answer that
 * Redis sent in time may still spend reaching us (network, a busy event loop).
 */
export const ANSWER_GRACE_MS = 250;

/**
 * The offset of Redis's clock from the local one, so a publish's deadline can travel with the
 * command and be checked inside Redis (a command that arrives late does nothing). Measured with
 * `TIME` when the publisher becomes ready, refreshed by the health probe.
 * @internal
 */
export class RedisClock {
  private sample: Sample | null = null;

  get known(): boolean {
    return this.sample !== null;
  }

  /** Forget the offset (a new connection may reach another server). */
  reset(): void {
    this.sample = null;
  }

  /** Records a `TIME` reply sent at local `sentAt`, answered at local `answeredAt`. */
  record(time: RedisTime, sentAt: number, answeredAt: number): void {
    const redisMs = Number(time[0]) * 1000 + Number(time[1]) / 1000;
    const rtt = answeredAt - sentAt;
    const candidate = { offset: redisMs - (sentAt + answeredAt) / 2, rtt, at: answeredAt };
    const current = this.sample;
    if (!current || rtt <= current.rtt || answeredAt - current.at > MAX_AGE_MS)
      this.sample = candidate;
  }

  /** The local time `localMs` on Redis's clock (whole ms, rounded down). */
  toRedis(localMs: number): number {
    return Math.floor(localMs + (this.sample?.offset ?? 0));
  }

  /**
   * How long after a deadline a command may still have run in time inside Redis (offset error)
   * and its answer be on its way: the measurement's round trip plus {@link ANSWER_GRACE_MS}.
   */
  get marginMs(): number {
    return Math.ceil(this.sample?.rtt ?? 0) + ANSWER_GRACE_MS;
  }
}
