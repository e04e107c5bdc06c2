import { SseHealthIndicator, SseMetrics, SsePublishError } from '../../src/index.js';
import { SseRuntime } from '../../src/nest/index.js';
import {
  CHANNEL,
  harness,
  PUBLISH_TIMEOUT,
  received,
  stateWatch,
  steadyPublisher,
  teardown,
  type Harness,
} from '../helpers/hung-redis.js';
import { OwnRedisServer } from '../helpers/redis-server.js';
import { sleep, waitUntil } from '../helpers/wait.js';

// What a hung Redis may cost (a bounded number of waiting publishes), what a full one says (OOM:
// transportState down, a clear error, up again once memory frees), and the one case where a
// rejected publish's fate is unknown (the connection closed while it was in flight).

/** The commands ioredis holds for the transport's publisher (written, not yet answered). */
function publisherQueue(h: Harness): number {
  const hub = h.server.app.get(SseRuntime).channels as unknown as {
    transport: { connections: { publisher: { commandQueue: { length: number } } } };
  };
  return hub.transport.connections.publisher.commandQueue.length;
}

describe('a Redis that hangs, is full, or dies with publishes in flight', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await teardown(h);
    h = undefined;
  });

  it('bounds the publishes waiting on a hung Redis: past maxPendingPublishes they reject at once, not sent', async () => {
    h = await harness({ maxPendingPublishes: 50 });
    const publisher = steadyPublisher(h.broadcast, 10);
    await sleep(300);
    let maxQueue = 0;
    const sampler = setInterval(() => (maxQueue = Math.max(maxQueue, publisherQueue(h!))), 5);
    void h.admin.call('CLIENT', 'PAUSE', '5000').catch(() => undefined);
    await sleep(5000);
    await waitUntil(() => h!.broadcast.transportState === 'up', 'up again', 5000);
    await sleep(300);
    clearInterval(sampler);
    const { resolved, rejected } = await publisher.stop();
    await sleep(300);
    const refused = rejected.filter(({ error }) => /maxPendingPublishes/.test(error.message));
    const slowest = Math.max(...refused.map(({ after }) => after));
    console.log(
      `CLIENT PAUSE 5000 at 100 publishes/s, bound 50: ${resolved.length} resolved, ` +
        `${rejected.length} rejected (${refused.length} at once by the bound, slowest ${slowest} ms); ` +
        `ioredis publisher queue peaked at ${maxQueue}`,
    );
    expect(refused.length).toBeGreaterThan(200);
    expect(slowest).toBeLessThan(PUBLISH_TIMEOUT / 4); // at once, not at the deadline
    // 50 publishes, the health probe, and nothing else.
    expect(maxQueue).toBeLessThanOrEqual(52);
    for (const { error } of rejected) expect(error.outcome).toBe('not-sent');
    const rejectedSet = new Set(rejected.map((r) => r.n));
    const got = received(h.client);
    expect(got.filter((n) => rejectedSet.has(n))).toEqual([]);
    expect(got).toEqual([...resolved].sort((a, b) => a - b));
  }, 30_000);

  it('during a 30 s pause the bound holds and the client-side queue does not grow with the pause', async () => {
    h = await harness({ maxPendingPublishes: 50 });
    const publisher = steadyPublisher(h.broadcast, 10);
    await sleep(300);
    // The publisher's ioredis queue (written, not answered), sampled through the pause.
    const samples: { at: number; queue: number }[] = [];
    const sampler = setInterval(
      () => samples.push({ at: Date.now(), queue: publisherQueue(h!) }),
      20,
    );
    const pausedAt = Date.now();
    void h.admin.call('CLIENT', 'PAUSE', '30000').catch(() => undefined);
    await sleep(30_000);
    await waitUntil(() => h!.broadcast.transportState === 'up', 'up again', 5000);
    await sleep(300);
    clearInterval(sampler);
    const { resolved, rejected } = await publisher.stop();
    await sleep(300);
    const during = samples.filter(({ at }) => at > pausedAt && at < pausedAt + 30_000);
    const peak = (from: number, to: number) =>
      Math.max(
        ...during
          .filter(({ at }) => at >= pausedAt + from && at < pausedAt + to)
          .map(({ queue }) => queue),
      );
    const refused = rejected.filter(({ error }) => /maxPendingPublishes/.test(error.message));
    console.log(
      `CLIENT PAUSE 30000 at 100 publishes/s, bound 50: ${resolved.length} resolved, ` +
        `${rejected.length} rejected (${refused.length} at once by the bound); publisher queue ` +
        `peaked at ${peak(0, 5000)} in the first 5 s, ${peak(25_000, 30_000)} in the last 5 s`,
    );
    // Only the 50 that held the places waited for their deadline; every other one was refused
    // at once (the timer fires less often than every 10 ms on a busy machine).
    expect(refused.length).toBeGreaterThan(1000);
    expect(rejected.length - refused.length).toBeLessThanOrEqual(50);
    // 50 publishes and the health probe, whether the pause is 5 s old or 30 s.
    expect(peak(0, 30_000)).toBeLessThanOrEqual(52);
    expect(peak(25_000, 30_000)).toBeLessThanOrEqual(peak(0, 5000));
    for (const { error } of rejected) expect(error.outcome).toBe('not-sent');
    const rejectedSet = new Set(rejected.map((r) => r.n));
    const got = received(h.client);
    expect(got.filter((n) => rejectedSet.has(n))).toEqual([]);
    expect(got).toEqual([...resolved].sort((a, b) => a - b));
  }, 45_000);

  it('is down while Redis refuses writes (maxmemory, noeviction): publishes say OOM; up again once memory frees', async () => {
    h = await harness({ history: { size: 1_000_000 } }, [
      '--maxmemory',
      '2mb',
      '--maxmemory-policy',
      'noeviction',
    ]);
    const watch = stateWatch(h.broadcast);
    const big = 'x'.repeat(20_000);
    let failure: SsePublishError | undefined;
    for (let i = 0; i < 2000; i++) {
      failure = await h.broadcast.publish(CHANNEL, big).then(
        () => undefined,
        (error: SsePublishError) => error,
      );
      if (failure) break;
    }
    expect(failure).toBeInstanceOf(SsePublishError);
    expect(failure!.message).toMatch(/OOM/);
    expect(h.broadcast.transportState).toBe('down');
    expect(failure!.outcome).toBe('not-sent');
    // Right at the limit small writes may still pass (a big publish's own bytes tipped it over):
    // let the data grow a little more, as other writers would.
    const info = await h.admin.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)![1]);
    await h.admin.config('SET', 'maxmemory', String(used - 100_000));
    // Still down a probe later: the probe's own write is refused too.
    await sleep(1500);
    expect(h.broadcast.transportState).toBe('down');
    await expect(h.broadcast.publish(CHANNEL, 'one more')).rejects.toThrow(/OOM/);
    // What dashboards and health checks read.
    const metrics = h.server.app.get(SseMetrics);
    const health = h.server.app.get(SseHealthIndicator);
    expect(metrics.snapshot().transport).toBe('down');
    expect(await health.isHealthy('sse')).toMatchObject({ sse: { status: 'down' } });
    const freedAt = Date.now();
    await h.admin.flushall();
    await waitUntil(() => h!.broadcast.transportState === 'up', 'up again', 5000);
    console.log(`OOM: transportState up ${Date.now() - freedAt} ms after memory was freed`);
    watch.stop();
    await expect(h.broadcast.publish(CHANNEL, 'after')).resolves.toMatch(/^\d+-\d+-[0-9a-z]+$/);
    expect(metrics.snapshot().transport).toBe('up');
    expect(await health.isHealthy('sse')).toMatchObject({ sse: { status: 'up' } });
    expect(h.logger.messages('warn')).toEqual([expect.stringMatching(/refuses writes \(OOM/)]);
    expect(h.logger.messages('log').filter((m) => /up again/.test(m))).toHaveLength(1);
  }, 30_000);

  it('is down while Redis is a read-only replica (READONLY); up again once it is promoted', async () => {
    const primary = await OwnRedisServer.start();
    try {
      h = await harness({ history: { size: 100 } }, [
        '--replicaof',
        '127.0.0.1',
        `${primary.port}`,
      ]);
      await waitUntil(() => h!.broadcast.transportState === 'down', 'the probe to notice', 3000);
      await expect(h.broadcast.publish(CHANNEL, 'stored')).rejects.toMatchObject({
        message: expect.stringMatching(/READONLY/),
        outcome: 'not-sent',
      });
      const promotedAt = Date.now();
      await h.admin.call('REPLICAOF', 'NO', 'ONE');
      await waitUntil(() => h!.broadcast.transportState === 'up', 'up again', 5000);
      console.log(`READONLY: transportState up ${Date.now() - promotedAt} ms after promotion`);
      await expect(h.broadcast.publish(CHANNEL, 'stored')).resolves.toMatch(/^\d+-\d+-[0-9a-z]+$/);
      expect(h.logger.messages('warn')).toEqual([
        expect.stringMatching(/refuses writes \(READONLY/),
      ]);
      expect(h.logger.messages('log').filter((m) => /up again/.test(m))).toHaveLength(1);
    } finally {
      await primary.kill();
    }
  }, 30_000);

  it("a publish in flight when the connection dies rejects at once with outcome 'unknown'", async () => {
    h = await harness({ publishTimeout: 2000 });
    await h.broadcast.publish(CHANNEL, 'before');
    h.redis.signal('SIGSTOP');
    const started = Date.now();
    const publish = h.broadcast.publish(CHANNEL, 'in flight');
    const outcome = publish.then(
      () => 'resolved',
      (error: SsePublishError) => error,
    );
    await sleep(300);
    await h.redis.kill(); // the kernel closes its sockets: the publish was written, never answered
    const error = (await outcome) as SsePublishError;
    const took = Date.now() - started;
    console.log(`in flight when the connection died: rejected after ${took} ms: ${error.message}`);
    expect(error).toBeInstanceOf(SsePublishError);
    expect(error.outcome).toBe('unknown');
    expect(took).toBeLessThan(1500);
    // A publish that waits for the connection is not sent: it rejects at its deadline.
    await expect(h.broadcast.publish(CHANNEL, 'later')).rejects.toMatchObject({
      outcome: 'not-sent',
    });
  }, 30_000);
});
