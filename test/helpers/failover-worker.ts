import type { Redis } from 'ioredis';
import { BroadcastService, type TransportState } from '../../src/index.js';
import type { CapturingLogger } from './capturing-logger.js';
import { startApp, type TestApp } from './platforms.js';
import { RawSseClient } from './raw-sse-client.js';
import type { SentinelTopology } from './redis-sentinel.js';
import { streamApp } from './stream-app.js';
import { sleep } from './wait.js';

export const PUBLISH_TIMEOUT = 1000;
const PUBLISH_EVERY = 50;

export interface Publish {
  n: number;
  startedAt: number;
  settledAt?: number;
  ok?: boolean;
  id?: string;
  error?: unknown;
}

export interface Tick {
  w: number;
  n: number;
  id?: string;
}

/** The `{ w, n }` (and id) of the ticks a connection received, in order. */
export function ticks(client: RawSseClient): Tick[] {
  return client.events
    .filter((e) => e.event === 'tick')
    .map((e) => ({ ...(JSON.parse(e.data) as { w: number; n: number }), id: e.id }));
}

export interface WorkerOptions {
  failoverDetector?: boolean;
  liveGap?: 'log' | 'close';
}

/**
 * A Nest app on a Sentinel topology (through its sentinels), a live client on it, and its
 * publisher: `{ w, n }` on channel `feed` every 50 ms, one after another.
 */
export class FailoverWorker {
  readonly publishes: Publish[] = [];
  readonly states: { state: TransportState; at: number }[] = [];
  private running = true;
  private loop: Promise<void> = Promise.resolve();
  private watch?: NodeJS.Timeout;

  private constructor(
    readonly w: number,
    readonly server: TestApp,
    readonly client: RawSseClient,
  ) {}

  static async start(
    w: number,
    topology: SentinelTopology,
    logger: CapturingLogger,
    options: WorkerOptions = {},
  ): Promise<FailoverWorker> {
    const { failoverDetector } = options;
    const redisOptions = {
      sentinels: topology.sentinelAddresses,
      name: topology.name,
      ...(failoverDetector === undefined ? {} : { failoverDetector }),
    };
    const server = await startApp(
      streamApp({
        transport: { type: 'redis', options: redisOptions, failFast: true },
        publishTimeout: PUBLISH_TIMEOUT,
        history: { size: 10_000 },
        ...(options.liveGap ? { liveGap: options.liveGap } : {}),
      }) as never,
      'express',
      undefined,
      logger,
    );
    const client = await RawSseClient.open(`${server.url}/stream?channels=feed`);
    await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
    return new FailoverWorker(w, server, client);
  }

  get broadcast(): BroadcastService {
    return this.server.app.get(BroadcastService);
  }

  /** The resolved publishes, with the ids they got. */
  get resolved(): Publish[] {
    return this.publishes.filter((p) => p.ok);
  }

  /** Publishes `{ w, n }` every 50 ms, one after another; records the state every 10 ms. */
  startPublishing(): void {
    this.states.push({ state: this.broadcast.transportState, at: Date.now() });
    this.watch = setInterval(() => {
      const state = this.broadcast.transportState;
      if (this.states[this.states.length - 1].state !== state)
        this.states.push({ state, at: Date.now() });
    }, 10);
    this.loop = (async () => {
      for (let n = 0; this.running; n++) {
        const record: Publish = { n, startedAt: Date.now() };
        this.publishes.push(record);
        try {
          record.id = await this.broadcast.publish('feed', {
            event: 'tick',
            data: { w: this.w, n },
          });
          record.ok = true;
        } catch (error) {
          record.ok = false;
          record.error = error;
        }
        record.settledAt = Date.now();
        await sleep(PUBLISH_EVERY);
      }
    })();
  }

  async stopPublishing(): Promise<void> {
    this.running = false;
    await this.loop;
    clearInterval(this.watch);
  }

  /** When publishes succeeded again: the first success after the last rejection. */
  publishesBackAt(): number | null {
    const lastFailure = this.publishes.map((p) => p.ok).lastIndexOf(false);
    return this.publishes.slice(lastFailure + 1).find((p) => p.ok)?.settledAt ?? null;
  }

  /** Its two Redis connections (for a failure message). */
  get connections(): Record<'publisher' | 'subscriber', Redis> {
    return (this.broadcast as unknown as { transport: { connections: never } }).transport
      .connections;
  }

  /** The last publishes and the transport's connections, for a failure message. */
  describe(): string {
    const last = this.publishes.slice(-3).map((p) => ({
      n: p.n,
      ok: p.ok,
      id: p.id,
      error: (p.error as Error | undefined)?.message,
    }));
    const at = (client: Redis) =>
      `${client.status} on ${(client as unknown as { stream?: { remotePort?: number } }).stream?.remotePort}`;
    const { publisher, subscriber } = this.connections;
    return (
      `worker ${this.w}: ${this.broadcast.transportState} (publisher ${at(publisher)}, ` +
      `subscriber ${at(subscriber)}), ${JSON.stringify(last)}`
    );
  }

  async close(): Promise<void> {
    this.running = false;
    clearInterval(this.watch);
    this.client.close();
    await this.server.close();
  }
}

/** One connection of a {@link ResumingClient}. */
interface ResumingConnection {
  worker: number;
  lastEventId: string | undefined;
  readyAt: number;
  replayGap: boolean;
}

/**
 * A client that drops its stream at random moments and resumes with the last id it received,
 * on a random worker, as an `EventSource` does; a stream the server ends is resumed too.
 */
export class ResumingClient {
  readonly received: Tick[] = [];
  readonly connections: ResumingConnection[] = [];
  private current: RawSseClient | null = null;
  /** Events of `current` already taken into `received`. */
  private seen = 0;
  private running = true;
  private closed = false;
  private reconnecting: Promise<void> | null = null;
  private loop: Promise<void> = Promise.resolve();

  /**
   * `drops: false`: a live client, which keeps its stream (on its one worker) unless the server
   * ends it.
   */
  constructor(
    readonly name: string,
    private readonly workers: readonly FailoverWorker[],
    private readonly random: () => number,
    private readonly drops = true,
  ) {}

  get lastId(): string | undefined {
    return this.received[this.received.length - 1]?.id;
  }

  /** Connected once (ready), then drops and resumes at random until {@link stop}. */
  async start(): Promise<void> {
    await this.reconnect();
    this.loop = (async () => {
      while (this.running) {
        const until = this.drops ? Date.now() + 200 + this.random() * 1300 : Infinity;
        while (this.running && Date.now() < until && this.streaming) {
          this.collect();
          await sleep(20);
        }
        if (!this.running) break;
        if (this.drops) {
          this.drop();
          await sleep(this.random() * 400);
        }
        await this.reconnect();
      }
    })();
  }

  /** Stops dropping; keeps (or opens) a stream for the final checks. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (!this.streaming) await this.reconnect();
  }

  /** Waits until `predicate` holds of what it received, resuming if its stream ends meanwhile. */
  async waitFor(predicate: (received: Tick[]) => boolean, timeoutMs: number, what: string) {
    const deadline = Date.now() + timeoutMs;
    for (this.collect(); !predicate(this.received); this.collect()) {
      if (Date.now() > deadline)
        throw new Error(`${this.name}: timed out waiting for ${what}; ${this.describe()}`);
      if (!this.streaming) await Promise.race([this.reconnect(), sleep(deadline - Date.now())]);
      await sleep(20);
    }
  }

  close(): void {
    this.running = false;
    this.closed = true;
    this.drop();
  }

  describe(): string {
    return `connections ${JSON.stringify(this.connections)}, last ${JSON.stringify(this.received.slice(-3))}`;
  }

  /** Takes in what the current stream received since the last look, in order. */
  private collect(): void {
    const client = this.current;
    if (!client) return;
    for (; this.seen < client.events.length; this.seen++) {
      const event = client.events[this.seen];
      if (event.event === 'tick')
        this.received.push({ ...(JSON.parse(event.data) as Tick), id: event.id });
    }
  }

  private drop(): void {
    this.collect();
    this.current?.close();
    this.current = null;
  }

  /** Whether it has a stream that has not ended. */
  private get streaming(): boolean {
    return this.current !== null && !this.current.ended;
  }

  /**
   * Resumes (a new stream, retried until one gets ready) unless it has a live stream; one at a
   * time: the drop loop and `waitFor` share it, so no stream is ever opened twice or left behind.
   */
  private reconnect(): Promise<void> {
    if (this.reconnecting) return this.reconnecting;
    if (this.streaming) return Promise.resolve();
    this.drop();
    const reconnecting = (async () => {
      while (!this.closed && !(await this.connect())) await sleep(100);
    })();
    this.reconnecting = reconnecting.finally(() => {
      this.reconnecting = null;
    });
    return this.reconnecting;
  }

  /** One resume on a random worker; `false` if it did not get ready (Redis down: it retries). */
  private async connect(): Promise<boolean> {
    const worker = this.workers[Math.floor(this.random() * this.workers.length)];
    const lastEventId = this.lastId;
    const headers: Record<string, string> = lastEventId ? { 'Last-Event-ID': lastEventId } : {};
    let client: RawSseClient;
    try {
      client = await RawSseClient.open(`${worker.server.url}/stream?channels=feed`, headers);
    } catch {
      return false;
    }
    try {
      await client.waitFor(
        (c) => c.ended || c.events.some((e) => e.event === 'ready'),
        3000,
        'ready',
      );
    } catch {
      client.close();
      return false;
    }
    const ready = client.events.find((e) => e.event === 'ready');
    if (!ready || client.status !== 200) {
      client.close();
      return false;
    }
    this.current = client;
    this.seen = 0;
    this.collect();
    this.connections.push({
      worker: worker.w,
      lastEventId,
      readyAt: Date.now(),
      replayGap: (JSON.parse(ready.data) as { replayGap: boolean }).replayGap,
    });
    return true;
  }
}

/** A seeded generator, so a failing run can be replayed (`SEED=…`). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * What every client must keep through a failover: no event twice (by content or by id), and
 * every resolved publish it does not have was published before one of its resumes that said
 * `replayGap: true` (a live client closed with `'missed-events'` resumes like the others).
 * Returns a description of each violation (empty when none).
 */
export function deliveryViolations(client: ResumingClient, workers: FailoverWorker[]): string[] {
  const problems: string[] = [];
  const keys = client.received.map((t) => `${t.w}:${t.n}`);
  const dupKeys = keys.filter((key, i) => keys.indexOf(key) !== i);
  if (dupKeys.length)
    problems.push(
      `${client.name} received twice: ${dupKeys.join(', ')}; ${client.describe()}; received ` +
        client.received.map((t) => `${t.w}:${t.n}@${t.id?.split('-')[1]}`).join(' '),
    );
  const ids = client.received.map((t) => t.id);
  const dupIds = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (dupIds.length) problems.push(`${client.name} received ids twice: ${dupIds.join(', ')}`);
  const have = new Set(keys);
  const firstReady = client.connections[0]?.readyAt ?? Infinity;
  for (const worker of workers)
    for (const p of worker.resolved) {
      if (p.startedAt < firstReady || have.has(`${worker.w}:${p.n}`)) continue;
      const told = client.connections.some((c) => c.replayGap && c.readyAt > p.startedAt);
      if (!told)
        problems.push(
          `${client.name} missed ${worker.w}:${p.n} (${p.id}, published ${p.startedAt}–` +
            `${p.settledAt}) and no later resume said replayGap; ${client.describe()}; received ` +
            client.received.map((t) => `${t.w}:${t.n}@${t.id?.split('-')[1]}`).join(' '),
        );
    }
  return problems;
}

/**
 * Violations split: duplicates (never allowed) and events missed without a later `replayGap`
 * (allowed only where a live gap was logged, with `liveGap: 'log'`).
 */
export function splitViolations(problems: string[]): { twice: string[]; silent: string[] } {
  const twice = problems.filter((problem) => / received (ids )?twice: /.test(problem));
  return { twice, silent: problems.filter((problem) => !twice.includes(problem)) };
}
