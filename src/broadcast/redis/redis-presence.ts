import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import type { LocalPresence } from '../sse-transport.js';
import type { RedisTransportOptions } from './redis-transport-options.js';
import { PRESENCE_COUNT, PRESENCE_FLUSH, PRESENCE_LEAVE } from './redis.scripts.js';

/** How often a process tells Redis its counts, and how long Redis keeps them without news (ms). */
export interface PresenceTiming {
  interval: number;
  ttl: number;
}

export const PRESENCE_DEFAULTS: PresenceTiming = { interval: 1000, ttl: 5000 };

const TOTAL_FIELD = 't';
const channelField = (channel: string) => `c:${channel}`;

/**
 * This process's connection counts in Redis, for `globalCount` (see `PRESENCE_FLUSH`). One unref'd
 * timer flushes, every `interval`, the channels whose count changed since the last flush (noted
 * at join/leave: one `Set.add`, no Redis command) and the total, and renews the expiry: a process
 * that stops without closing drops out `ttl` after its last flush. The first flush, and the one
 * after a failure, an outage or a lost hash, rewrites every count. One flush at a time.
 * @internal
 */
export class RedisPresence {
  /** Unique per transport instance (a restarted process is a new worker). */
  readonly workerId = randomUUID();
  private readonly workersKey: string;
  private readonly workerKeyPrefix: string;
  private local: LocalPresence | null = null;
  private changed = new Set<string>();
  private full = true;
  private flushing = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    prefix: string,
    private readonly timing: PresenceTiming,
    private readonly publisher: () => Redis,
  ) {
    this.workersKey = `${prefix}{presence}:workers`;
    this.workerKeyPrefix = `${prefix}{presence}:w:`;
  }

  /** Makes the presence scripts callable on `client`. */
  static install(client: Redis): void {
    client.defineCommand('ssePresenceFlush', { numberOfKeys: 2, lua: PRESENCE_FLUSH });
    client.defineCommand('ssePresenceCount', { numberOfKeys: 1, lua: PRESENCE_COUNT });
    client.defineCommand('ssePresenceLeave', { numberOfKeys: 2, lua: PRESENCE_LEAVE });
  }

  start(local: LocalPresence): void {
    this.local = local;
    local.watch((channel) => {
      if (!this.full) this.changed.add(channel);
    });
    this.timer = setInterval(() => this.tick(), this.timing.interval);
    this.timer.unref();
  }

  /** The other live processes' count of `channel` (or total) as last flushed, plus ours now. */
  async count(channel: string | undefined): Promise<number> {
    const field = channel === undefined ? TOTAL_FIELD : channelField(channel);
    const others = await this.commands().ssePresenceCount(
      this.workersKey,
      this.workerKeyPrefix,
      field,
      this.workerId,
    );
    return Number(others) + this.localCount(channel);
  }

  /**
   * Flushes, unless Redis can't take it (not connected, or the last flush still unanswered): then
   * the next flush rewrites every count, so the changed set does not grow through an outage.
   */
  private tick(): void {
    if (this.flushing || this.publisher().status !== 'ready') {
      this.full = true;
      this.changed.clear();
      return;
    }
    void this.flush();
  }

  /**
   * Sends the counts that changed (all of them when `full`). When it can't (Redis refused, or the
   * connection broke), the next flush rewrites them all.
   */
  private async flush(): Promise<void> {
    const local = this.local;
    if (!local) return;
    this.flushing = true;
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const full = this.full;
        const channels = full ? null : this.changed;
        this.changed = new Set();
        this.full = false;
        const written = await this.commands().ssePresenceFlush(
          this.workerKeyPrefix + this.workerId,
          this.workersKey,
          this.workerId,
          this.timing.ttl,
          full ? '1' : '0',
          ...this.fields(local, channels),
        );
        if (written === 1) return;
        this.full = true; // our hash was gone: rewrite it whole, now
        if (!this.local) return; // stopped meanwhile
      }
    } catch {
      // Not written (or not known to be): the next flush rewrites everything. The connection's
      // own outage handling logs why.
      this.full = true;
    } finally {
      this.flushing = false;
    }
  }

  /** Stops flushing and, when connected, removes this process's counts at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const started = this.local !== null;
    this.local = null;
    if (!started || this.publisher().status !== 'ready') return;
    await this.commands()
      .ssePresenceLeave(this.workerKeyPrefix + this.workerId, this.workersKey, this.workerId)
      .catch(() => undefined);
  }

  /** Field/count pairs: the total, and each channel in `channels` (every local one when null). */
  private fields(local: LocalPresence, channels: Set<string> | null): (string | number)[] {
    const fields: (string | number)[] = [TOTAL_FIELD, local.connectionCount()];
    for (const channel of channels ?? local.channels())
      fields.push(channelField(channel), local.count(channel));
    return fields;
  }

  private localCount(channel: string | undefined): number {
    if (!this.local) return 0;
    return channel === undefined ? this.local.connectionCount() : this.local.count(channel);
  }

  private commands(): PresenceCommands {
    return this.publisher() as unknown as PresenceCommands;
  }
}

interface PresenceCommands {
  ssePresenceFlush(
    hash: string,
    workers: string,
    workerId: string,
    ttl: number,
    full: string,
    ...fields: (string | number)[]
  ): Promise<number>;
  ssePresenceCount(
    workers: string,
    hashPrefix: string,
    field: string,
    skip: string,
  ): Promise<number>;
  ssePresenceLeave(hash: string, workers: string, workerId: string): Promise<number>;
}

/** The timing `presence` asks for, or `null` when off; throws `TypeError` when it is invalid. */
export function presenceTiming(option: RedisTransportOptions['presence']): PresenceTiming | null {
  if (option === false) return null;
  const interval = option?.interval ?? PRESENCE_DEFAULTS.interval;
  const ttl = option?.ttl ?? Math.max(PRESENCE_DEFAULTS.ttl, interval * 5);
  if (!(interval > 0 && Number.isFinite(interval) && ttl >= interval * 2 && Number.isFinite(ttl)))
    throw new TypeError(BROADCAST_MESSAGES.presenceTiming(option?.interval, option?.ttl));
  return { interval, ttl };
}
