import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BroadcastService, type HistoryOptions } from '../../src/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { OwnRedisServer } from '../helpers/redis-server.js';
import { streamApp } from '../helpers/stream-app.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * Ids carry an epoch: when Redis loses the id counter (restart without persistence, a failover
 * that lost writes, eviction), no id is issued twice for different events, and a client resuming
 * from an id of before gets `replayGap: true`; so does one that missed events of an evicted stream.
 * Every test runs its own redis-server (never the shared one): the faults are real.
 */
const PREFIX = 'epoch:';
const COUNTER = `${PREFIX}{history}:seq`;

const readyOf = (client: RawSseClient) =>
  JSON.parse(client.events.find((e) => e.event === 'ready')!.data) as { replayGap: boolean };
const dataOf = (client: RawSseClient) =>
  client.events.filter((e) => e.event !== 'ready').map((e) => e.data);

describe('history ids across a lost counter (own redis-server)', () => {
  let redis: OwnRedisServer | null = null;
  let server: TestApp | null = null;
  let inspector: Redis | null = null;
  let dir: string | null = null;
  const clients: RawSseClient[] = [];

  async function start(history: HistoryOptions, extraArgs: string[] = []) {
    redis = await OwnRedisServer.start(extraArgs);
    inspector = new Redis(redis.port, '127.0.0.1');
    server = await startApp(
      streamApp({ transport: { type: 'redis', url: redis.url, channelPrefix: PREFIX }, history }),
      'express',
      undefined,
      new CapturingLogger(),
    );
    return server.app.get(BroadcastService);
  }

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.close());
    await server?.close();
    inspector?.disconnect();
    await redis?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
    server = inspector = redis = dir = null;
  });

  async function open(query: string, lastEventId?: string): Promise<RawSseClient> {
    const headers: Record<string, string> = lastEventId ? { 'Last-Event-ID': lastEventId } : {};
    const client = await RawSseClient.open(`${server!.url}/stream?${query}`, headers);
    clients.push(client);
    await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
    return client;
  }

  /** After Redis came back: publishes probes until `watcher` receives one (publisher and subscriber up). */
  async function waitForRecovery(broadcast: BroadcastService, watcher: RawSseClient) {
    const started = Date.now();
    await waitUntil(() => broadcast.transportState === 'up', 'the transport up again', 10000);
    for (let i = 0; !dataOf(watcher).some((d) => d.startsWith('probe')); i++) {
      if (Date.now() - started > 10000) throw new Error('no probe arrived');
      await broadcast.publish('feed', `probe${i}`).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Date.now() - started;
  }

  it('Redis restarted without persistence: old ids (ahead, or below the old trim) give replayGap: true; live events reach connections that replayed before; no id issued twice', async () => {
    const broadcast = await start({ size: 10 });
    const live = await open('channels=feed');
    const old: string[] = [];
    for (let i = 1; i <= 40; i++) old[i] = (await broadcast.publish('feed', `old${i}`))!;
    const replayedBefore = await open('channels=feed', old[35]);
    expect(dataOf(replayedBefore)).toEqual(['old36', 'old37', 'old38', 'old39', 'old40']);
    expect(readyOf(replayedBefore).replayGap).toBe(false);

    await redis!.kill();
    await redis!.restart();
    const recoveryMs = await waitForRecovery(broadcast, live);
    console.log(`epoch: restart without persistence recovered in ${recoveryMs} ms`);

    const fresh: string[] = [];
    for (let i = 1; i <= 5; i++) fresh[i] = (await broadcast.publish('feed', `new${i}`))!;
    const oldEpoch = old[1].split('-')[2];
    // A counter that started again would be at about 6: the old id 40 is "from the future", and
    // old id 2 (below the old trim) looks inside the new history — neither can be resumed.
    for (const since of [old[40], old[2], `${Date.now()}-999999-${oldEpoch}`]) {
      const resumed = await open('channels=feed', since);
      expect(readyOf(resumed).replayGap).toBe(true);
      expect(dataOf(resumed)).toEqual([]);
    }
    for (let i = 6; i <= 45; i++) fresh[i] = (await broadcast.publish('feed', `new${i}`))!;
    for (const connection of [live, replayedBefore]) {
      await connection.waitFor((c) => dataOf(c).includes('new45'), 5000, 'new45');
      const after = dataOf(connection).filter((d) => d.startsWith('new'));
      expect(after).toEqual(Array.from({ length: 45 }, (_, i) => `new${i + 1}`));
    }

    // A new epoch: no id of before is issued again, whatever the counter says.
    expect(new Set(fresh.slice(1).map((id) => id.split('-')[2])).size).toBe(1);
    expect(fresh[1].split('-')[2]).not.toBe(oldEpoch);
    expect(fresh.filter((id) => old.includes(id))).toEqual([]);
    expect(fresh.map((id) => id.split('-').slice(0, 2).join('-'))).not.toContain(
      old[40].split('-').slice(0, 2).join('-'),
    );

    // A client of the new epoch still resumes exactly.
    const resumed = await open('channels=feed', fresh[40]);
    expect(readyOf(resumed).replayGap).toBe(false);
    expect(dataOf(resumed)).toEqual(['new41', 'new42', 'new43', 'new44', 'new45']);
  });

  it('a failover that lost writes (the counter went back in the same epoch): a new epoch, the lost ids are not issued again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sse-epoch-'));
    const broadcast = await start({ size: 100 }, ['--dir', dir, '--dbfilename', 'snapshot.rdb']);
    const live = await open('channels=feed');
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids[i] = (await broadcast.publish('feed', `kept${i}`))!;
    await inspector!.save(); // what the replica has
    for (let i = 6; i <= 10; i++) ids[i] = (await broadcast.publish('feed', `lost${i}`))!;
    await live.waitFor((c) => dataOf(c).includes('lost10'), 5000, 'lost10');

    await redis!.kill(); // the primary dies; the lagging copy takes over on the same address
    await redis!.restart();
    expect(await inspector!.hget(COUNTER, 'seq')).toBe('5');
    await waitForRecovery(broadcast, live);
    const after: string[] = [];
    for (let i = 1; i <= 5; i++) after.push((await broadcast.publish('feed', `after${i}`))!);

    // A client that saw a lost write, or one from before it: the history can't show what it missed.
    for (const since of [ids[7], ids[3]]) {
      const resumed = await open('channels=feed', since);
      expect(readyOf(resumed).replayGap).toBe(true);
      expect(dataOf(resumed)).toEqual([]);
    }
    const epochBefore = ids[1].split('-')[2];
    expect(after.every((id) => id.split('-')[2] !== epochBefore)).toBe(true);
    const seqs = (list: string[]) => list.map((id) => Number(id.split('-')[1]));
    expect(Math.min(...seqs(after))).toBeGreaterThan(10); // continues above the lost ids
  });

  it('maxmemory with allkeys-lru evicts a stream: a client that missed an event there gets replayGap: true', async () => {
    const broadcast = await start({ size: 1000 }, [
      '--maxmemory',
      '4mb',
      '--maxmemory-policy',
      'allkeys-lru',
      '--maxmemory-samples',
      '64', // more than the keys there are: eviction sees every key, so LRU order is exact
    ]);
    const seen = (await broadcast.publish('cold', 'cold1'))!;
    for (let i = 2; i <= 5; i++) await broadcast.publish('cold', `cold${i}`);
    const stream = `${PREFIX}{history}:stream:cold`;
    expect(await inspector!.xlen(stream)).toBe(5);
    const epoch = await inspector!.hget(COUNTER, 'epoch');

    // Memory pressure: other data, while the counter stays in use. Redis's LRU clock ticks once
    // a second: the cold channel must have been idle for longer than the rest.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const filler = 'x'.repeat(200_000);
    const fillers: string[] = [];
    for (let i = 0; i < 100 && (await inspector!.exists(stream)) === 1; i++) {
      fillers.push(`filler:${i}`);
      await inspector!.set(`filler:${i}`, filler);
      await broadcast.publish('hot', `hot${i}`); // keeps the counter recently used
    }
    expect(await inspector!.exists(stream)).toBe(0);
    // The pressure ends: nothing more is evicted (the LRU clock's one-second ticks would let the
    // next eviction pick the recreated stream as soon as the fillers).
    await inspector!.del(...fillers);
    // Usually only the stream is gone (same epoch); LRU sampling may take the counter too (a new
    // epoch): the client missed an event either way.
    const sameEpoch = (await inspector!.hget(COUNTER, 'epoch')) === epoch;
    if (!sameEpoch) console.log('allkeys-lru evicted the counter too: a new epoch');

    const resumed = await open('channels=cold', seen);
    expect(readyOf(resumed).replayGap).toBe(true);

    // Recreated by a later publish: the first entry follows an event newer than the client's.
    await broadcast.publish('cold', 'cold6');
    const again = await open('channels=cold', seen);
    // (An id of a lost epoch replays nothing: it is not ours any more.)
    expect(dataOf(again)).toEqual(sameEpoch ? ['cold6'] : []);
    expect(readyOf(again).replayGap).toBe(true);
    // Nothing missed: no gap.
    const current = await open('channels=cold', (await broadcast.publish('cold', 'cold7'))!);
    expect(readyOf(current).replayGap).toBe(false);
  });
});
