import { BroadcastService } from '../../src/index.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { RedisClusterTopology } from '../helpers/redis-cluster.js';
import { streamApp } from '../helpers/stream-app.js';
import { sleep } from '../helpers/wait.js';

const PUBLISHES = 200;

interface Tick {
  w: number;
  n: number;
}

/** One channel per master: `room-<i>` names until each master owns one (with `prefix`). */
async function channelPerMaster(
  topology: RedisClusterTopology,
  prefix: string,
): Promise<Map<number, string>> {
  const masters = await topology.masters();
  const byMaster = new Map<number, string>();
  for (let i = 0; byMaster.size < masters.length; i++) {
    const owner = await topology.ownerOf(`${prefix}room-${i}`);
    if (!byMaster.has(owner)) byMaster.set(owner, `room-${i}`);
  }
  return byMaster;
}

async function startWorker(
  topology: RedisClusterTopology,
  prefix: string,
  shardedPubSub?: boolean,
): Promise<TestApp> {
  return startApp(
    streamApp({
      transport: {
        type: 'redis',
        // One startup node: the others are discovered.
        cluster: { nodes: [`127.0.0.1:${topology.nodes[0]}`] },
        channelPrefix: prefix,
        failFast: true,
        ...(shardedPubSub === undefined ? {} : { shardedPubSub }),
      },
    }) as never,
    'express',
  );
}

/** Clients on every channel on every worker; resolves once all are subscribed. */
async function openClients(workers: TestApp[], channels: string[]) {
  const clients: { channel: string; client: RawSseClient }[] = [];
  for (const worker of workers)
    for (const channel of channels) {
      const client = await RawSseClient.open(`${worker.url}/stream?channels=${channel}`);
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
      clients.push({ channel, client });
    }
  return clients;
}

/** Resolves once every client received the ticks of both workers (or fails after 10 s). */
function everyTickArrived(clients: { client: RawSseClient }[]): Promise<unknown> {
  return Promise.all(
    clients.map(({ client }) =>
      client.waitFor(
        (c) => c.events.filter((e) => e.event === 'tick').length >= 2 * PUBLISHES,
        10_000,
        'every tick',
      ),
    ),
  );
}

/** Each worker publishes `PUBLISHES` ticks back to back (not awaiting each) on every channel. */
async function publishFromEach(workers: TestApp[], channels: string[]): Promise<void> {
  await Promise.all(
    workers.flatMap((worker, w) =>
      channels.flatMap((channel) =>
        Array.from({ length: PUBLISHES }, (_, n) =>
          worker.app.get(BroadcastService).publish(channel, { event: 'tick', data: { w, n } }),
        ),
      ),
    ),
  );
}

/** Every tick of every worker exactly once, in each worker's publish order. */
function expectEveryTickOnceInOrder(client: RawSseClient, workers: number): void {
  const ticks = client.events
    .filter((e) => e.event === 'tick')
    .map((e) => JSON.parse(e.data) as Tick);
  expect(ticks).toHaveLength(workers * PUBLISHES);
  for (let w = 0; w < workers; w++) {
    const fromWorker = ticks.filter((tick) => tick.w === w).map((tick) => tick.n);
    let inversions = 0;
    for (let i = 1; i < fromWorker.length; i++) if (fromWorker[i] < fromWorker[i - 1]) inversions++;
    expect(inversions).toBe(0);
    expect(fromWorker).toEqual(Array.from({ length: PUBLISHES }, (_, n) => n));
  }
}

describe('Redis transport on a three-master Redis Cluster', () => {
  let topology: RedisClusterTopology;

  beforeAll(async () => {
    topology = await RedisClusterTopology.start({ masters: 3 });
  });

  afterAll(async () => {
    await topology?.stop();
  });

  describe('with sharded pub/sub (the default)', () => {
    const prefix = 'sharded:';
    let workers: TestApp[] = [];
    let clients: { channel: string; client: RawSseClient }[] = [];
    let byMaster: Map<number, string>;

    beforeAll(async () => {
      byMaster = await channelPerMaster(topology, prefix);
      workers = [await startWorker(topology, prefix), await startWorker(topology, prefix)];
      clients = await openClients(workers, [...byMaster.values()]);
    });

    afterAll(async () => {
      clients.forEach(({ client }) => client.close());
      await Promise.all(workers.map((worker) => worker.close()));
    });

    it('subscribes each channel on its owning master only, once per worker', async () => {
      const masters = await topology.masters();
      for (const [owner, channel] of byMaster) {
        for (const port of masters) {
          const shardChannels = (await topology.ask(port, 'PUBSUB', 'SHARDCHANNELS')) as string[];
          const [, subscribers] = (await topology.ask(
            port,
            'PUBSUB',
            'SHARDNUMSUB',
            prefix + channel,
          )) as [string, number];
          expect(shardChannels.includes(prefix + channel)).toBe(port === owner);
          expect(subscribers).toBe(port === owner ? 2 : 0);
          expect(await topology.ask(port, 'PUBSUB', 'CHANNELS')).toEqual([]);
        }
      }
    });

    it('delivers every event exactly once, in each publisher order, on every shard', async () => {
      const masters = await topology.masters();
      for (const port of masters) await topology.ask(port, 'CONFIG', 'RESETSTAT');
      await publishFromEach(workers, [...byMaster.values()]);
      await everyTickArrived(clients);
      await sleep(100); // any duplicate would show up now
      for (const { client } of clients) expectEveryTickOnceInOrder(client, 2);
      // Each master ran the SPUBLISH of its own channel only, and nobody a classic PUBLISH (which
      // the cluster bus would relay to every node).
      for (const port of masters) {
        expect(await topology.calls(port, 'spublish')).toBe(2 * PUBLISHES);
        expect(await topology.calls(port, 'publish')).toBe(0);
        // Every publish went to its channel's master at once: none was redirected (a redirected
        // one would arrive behind later ones).
        expect(String(await topology.ask(port, 'INFO', 'errorstats'))).not.toContain('MOVED');
        // What a tick published went in one script call per master (per worker, plus an EVAL
        // where a node did not have the script yet, and the health probe), not one per publish.
        const scriptCalls =
          (await topology.calls(port, 'evalsha')) + (await topology.calls(port, 'eval'));
        expect(scriptCalls).toBeLessThanOrEqual(10);
      }
    });
  });

  describe('with shardedPubSub: false', () => {
    const prefix = 'classic:';
    let workers: TestApp[] = [];
    let clients: { channel: string; client: RawSseClient }[] = [];
    let channels: string[];

    beforeAll(async () => {
      channels = [...(await channelPerMaster(topology, prefix)).values()];
      workers = [
        await startWorker(topology, prefix, false),
        await startWorker(topology, prefix, false),
      ];
      clients = await openClients(workers, channels);
    });

    afterAll(async () => {
      clients.forEach(({ client }) => client.close());
      await Promise.all(workers.map((worker) => worker.close()));
    });

    it('delivers every event exactly once, in each publisher order, through classic pub/sub', async () => {
      await publishFromEach(workers, channels);
      await everyTickArrived(clients);
      await sleep(100);
      for (const { client } of clients) expectEveryTickOnceInOrder(client, 2);
      for (const port of await topology.masters())
        expect(await topology.ask(port, 'PUBSUB', 'SHARDCHANNELS')).toEqual([]);
    });
  });
});
