import { BroadcastService, SsePublishError, type TransportState } from '../../src/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { SentinelTopology } from '../helpers/redis-sentinel.js';
import { streamApp } from '../helpers/stream-app.js';
import { sleep } from '../helpers/wait.js';

const PUBLISH_TIMEOUT = 1000;
const PUBLISH_EVERY = 50;

interface Publish {
  n: number;
  startedAt: number;
  settledAt?: number;
  ok?: boolean;
  error?: unknown;
}

/** A Nest app on the topology (through its sentinels), a live client on it, and its publisher. */
class Worker {
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
    failoverDetector?: boolean,
  ): Promise<Worker> {
    const options = {
      sentinels: topology.sentinelAddresses,
      name: topology.name,
      ...(failoverDetector === undefined ? {} : { failoverDetector }),
    };
    const server = await startApp(
      streamApp({
        transport: { type: 'redis', options, failFast: true },
        publishTimeout: PUBLISH_TIMEOUT,
        history: { size: 10_000 },
      }) as never,
      'express',
      undefined,
      logger,
    );
    const client = await RawSseClient.open(`${server.url}/stream?channels=feed`);
    await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
    return new Worker(w, server, client);
  }

  get broadcast(): BroadcastService {
    return this.server.app.get(BroadcastService);
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
          await this.broadcast.publish('feed', { event: 'tick', data: { w: this.w, n } });
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

  /** The last publishes and the transport's state, for a failure message. */
  describe(): string {
    const last = this.publishes.slice(-3).map((p) => ({
      n: p.n,
      ok: p.ok,
      error: (p.error as Error | undefined)?.message,
    }));
    const connections = (
      this.broadcast as unknown as {
        transport: {
          connections: Record<'publisher' | 'subscriber', { status: string; options: object }>;
        };
      }
    ).transport.connections;
    const sub = connections.subscriber as unknown as { options: Record<string, unknown> };
    return (
      `worker ${this.w}: ${this.broadcast.transportState} (publisher ` +
      `${connections.publisher.status}, subscriber ${connections.subscriber.status} ${JSON.stringify(
        { port: sub.options.port, fd: sub.options.failoverDetector },
      )}), ${JSON.stringify(last)}`
    );
  }

  async close(): Promise<void> {
    this.running = false;
    clearInterval(this.watch);
    this.client.close();
    await this.server.close();
  }
}

/** The `{ w, n }` of the ticks a client received, in order. */
function ticks(client: RawSseClient): { w: number; n: number; id?: string }[] {
  return client.events
    .filter((e) => e.event === 'tick')
    .map((e) => ({ ...(JSON.parse(e.data) as { w: number; n: number }), id: e.id }));
}

/** Starts two workers publishing, applies the fault, and measures how they get over it. */
async function failover(
  fault: (topology: SentinelTopology) => void,
  options: { failoverDetector?: boolean; thawAfterMs?: number } = {},
) {
  const topology = await SentinelTopology.start();
  const workers: Worker[] = [];
  // One logger for both apps: Nest's logger is process-wide (the last app's wins).
  const logger = new CapturingLogger();
  try {
    for (const w of [1, 2])
      workers.push(await Worker.start(w, topology, logger, options.failoverDetector));
    workers.forEach((worker) => worker.startPublishing());
    await sleep(500);
    const faultAt = Date.now();
    fault(topology);
    let promotedAt = 0;
    const promoted = topology.waitForPromotion(topology.replica).then(() => {
      promotedAt = Date.now();
    });
    if (options.thawAfterMs !== undefined)
      setTimeout(() => topology.signal(topology.primary, 'SIGCONT'), options.thawAfterMs);

    // Live delivery is back on a client when it received, from each worker, a tick published
    // after the fault.
    const liveBack = await Promise.all(
      workers.map(async ({ client }) => {
        await client.waitFor(
          (c) =>
            workers.every((publisher) =>
              ticks(c).some(
                (t) => t.w === publisher.w && publisher.publishes[t.n].startedAt > faultAt + 100,
              ),
            ),
          20_000,
          'live ticks from both workers after the fault',
        );
        return Date.now() - faultAt;
      }),
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${workers.map((w) => w.describe()).join('\n')}`);
    });
    await promoted;
    await sleep(500);
    await Promise.all(workers.map((worker) => worker.stopPublishing()));
    // Everything published since recovery reaches both clients, ending with each worker's last.
    const lasts = workers.map((worker) => worker.publishes[worker.publishes.length - 1]);
    for (const worker of workers)
      await worker.client.waitFor(
        (c) => lasts.every((last, i) => ticks(c).some((t) => t.w === i + 1 && t.n === last.n)),
        5000,
        "both workers' last ticks",
      );
    return {
      topology,
      workers,
      logger,
      faultAt,
      promotedAfter: promotedAt - faultAt,
      publishesBackAfter: workers.map((worker) => worker.publishesBackAt()! - faultAt),
      liveBackAfter: liveBack,
    };
  } finally {
    topology.signal(topology.primary, 'SIGCONT');
    await Promise.all(workers.map((worker) => worker.close()));
    await topology.stop();
  }
}

/** What every failover must keep: no duplicate, per-publisher order, and a down/up transition. */
function expectCleanFailover({ workers, faultAt, logger }: Awaited<ReturnType<typeof failover>>) {
  for (const worker of workers) {
    const received = ticks(worker.client);
    const keys = received.map((t) => `${t.w}:${t.n}`);
    expect(new Set(keys).size).toBe(keys.length); // no duplicate
    const ids = received.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const publisher of workers) {
      const ns = received.filter((t) => t.w === publisher.w).map((t) => t.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b)); // publish order per publisher
    }
    // Publishes rejected during the outage (with SsePublishError), and succeed again after it.
    const failed = worker.publishes.filter((p) => p.ok === false);
    expect(failed.length).toBeGreaterThan(0);
    for (const p of failed) expect(p.error).toBeInstanceOf(SsePublishError);
    expect(worker.publishes.slice(-5).every((p) => p.ok)).toBe(true);
    // The transport went down after the fault, and up again.
    const afterFault = worker.states.filter((s) => s.at >= faultAt).map((s) => s.state);
    expect(afterFault).toContain('down');
    expect(worker.states[worker.states.length - 1].state).toBe('up');
  }
  const count = (level: string, pattern: RegExp) =>
    logger.messages(level).filter((m) => pattern.test(m)).length;
  expect(count('warn', /Redis transport is down/)).toBeGreaterThanOrEqual(workers.length);
  expect(count('log', /Redis transport is up again/)).toBeGreaterThanOrEqual(workers.length);
}

function report(what: string, result: Awaited<ReturnType<typeof failover>>) {
  console.log(
    `${what}: promoted after ${result.promotedAfter} ms; publishes succeed again after ` +
      `${result.publishesBackAfter.join(' / ')} ms; live streams receive again after ` +
      `${result.liveBackAfter.join(' / ')} ms`,
  );
}

describe('Redis Sentinel: the transport follows a failover', () => {
  it('primary killed (SIGKILL): publishes reject during the outage, then succeed on the promoted replica; streams receive again, no duplicate', async () => {
    const result = await failover((topology) => topology.signal(topology.primary, 'SIGKILL'));
    report('SIGKILL', result);
    expectCleanFailover(result);
    expect(Math.max(...result.publishesBackAfter)).toBeLessThan(8000);
    expect(Math.max(...result.liveBackAfter)).toBeLessThan(8000);
  }, 60_000);

  it('primary frozen (SIGSTOP): the transport follows the promoted replica within seconds (failoverDetector on by default with sentinels)', async () => {
    const result = await failover((topology) => topology.signal(topology.primary, 'SIGSTOP'));
    report('SIGSTOP, failoverDetector default', result);
    expectCleanFailover(result);
    // Within a few seconds of the promotion, not when the old primary wakes up.
    expect(Math.max(...result.publishesBackAfter)).toBeLessThan(result.promotedAfter + 2000);
    expect(Math.max(...result.liveBackAfter)).toBeLessThan(result.promotedAfter + 2000);
  }, 60_000);

  it('primary frozen, failoverDetector: false (ioredis default): the transport stays on the frozen node until it wakes', async () => {
    const FROZEN = 8000;
    const result = await failover((topology) => topology.signal(topology.primary, 'SIGSTOP'), {
      failoverDetector: false,
      thawAfterMs: FROZEN,
    });
    report(`SIGSTOP ${FROZEN} ms, failoverDetector: false`, result);
    expect(result.promotedAfter).toBeLessThan(FROZEN);
    expect(Math.min(...result.publishesBackAfter)).toBeGreaterThan(FROZEN);
  }, 60_000);
});
