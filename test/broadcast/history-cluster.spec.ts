import { randomUUID } from 'node:crypto';
import { BroadcastService } from '../../src/index.js';
import { historyCounterOf } from '../../src/broadcast/history/history-counter.js';
import {
  completeBlocks,
  dataOf,
  eventsOf,
  lastEventIdOf,
  perChannel,
  resumesAtEveryCut,
} from '../helpers/last-event-id.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { RedisClusterTopology, askNode } from '../helpers/redis-cluster.js';
import { streamApp } from '../helpers/stream-app.js';

/**
 * History on a three-master Redis Cluster (16 id counters by default, sharded pub/sub): a
 * connection in channels whose counters live on three different shards resumes with ONE
 * `Last-Event-ID`, cut after every block of its replay, on another worker: no gap, no duplicate.
 */
const COUNTERS = 16;
const EVENTS = 12;
const PATTERN = [0, 1, 2, 0, 2, 1, 1, 0, 2, 2, 0, 1];

const isReady = (block: string) => block.split('\n').includes('event: ready');
const tagOf = (channel: string) => `{history:${historyCounterOf(channel, COUNTERS)}}`;

describe('history on a Redis Cluster: one Last-Event-ID across shards', () => {
  const prefix = `test:${randomUUID()}:`;
  let topology: RedisClusterTopology;
  let workers: TestApp[];
  let channels: string[];
  let owners: number[];
  let published: string[];

  beforeAll(async () => {
    topology = await RedisClusterTopology.start({ masters: 3 });
    // One channel per master: the owner of its counter's keys.
    const byOwner = new Map<number, string>();
    for (let i = 0; byOwner.size < 3; i++) {
      const owner = await topology.ownerOf(`${prefix}${tagOf(`room:${i}`)}:seq`);
      if (!byOwner.has(owner)) byOwner.set(owner, `room:${i}`);
    }
    owners = [...byOwner.keys()];
    channels = [...byOwner.values()];
    workers = [];
    for (let i = 0; i < 2; i++)
      workers.push(
        await startApp(
          streamApp({
            transport: {
              type: 'redis',
              cluster: { nodes: [`127.0.0.1:${topology.nodes[i]}`] },
              channelPrefix: prefix,
              failFast: true,
            },
            history: { size: 100, channels: (channel) => channel.startsWith('room:') },
          }) as never,
          'express',
        ),
      );
  }, 60_000);
  afterAll(async () => {
    await Promise.all((workers ?? []).map((w) => w.close()));
    await topology?.stop();
  });

  const worker = (i: number) => workers[i % workers.length];
  const query = () => `channels=${channels.join(',')}`;

  async function open(on: TestApp, lastEventId?: string) {
    const client = await RawSseClient.open(
      `${on.url}/stream?${query()}`,
      lastEventId ? { 'Last-Event-ID': lastEventId } : {},
    );
    await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
    const blocks = completeBlocks(client.raw);
    const ready = blocks.findIndex(isReady);
    return {
      client,
      blocks: blocks.slice(0, ready),
      replayGap: JSON.parse(dataOf(blocks[ready])!).replayGap as boolean | null,
    };
  }

  async function resume(on: TestApp, lastEventId: string): Promise<string[]> {
    const { client, blocks, replayGap } = await open(on, lastEventId);
    client.close();
    expect(replayGap).toBe(false);
    return blocks;
  }

  it("keeps each channel's history on the shard that owns its counter, and relays it there only", async () => {
    const { client } = await open(worker(0));
    try {
      for (const [i, channel] of channels.entries()) {
        await worker(1).app.get(BroadcastService).publish(channel, `hello ${i}`);
        const tag = tagOf(channel);
        const keys = [`${prefix}${tag}:seq`, `${prefix}${tag}:stream:${channel}`];
        const slot = await askNode(owners[i], 'CLUSTER', 'KEYSLOT', keys[0]);
        expect(await askNode(owners[i], 'CLUSTER', 'KEYSLOT', keys[1])).toBe(slot);
        expect(await askNode(owners[i], 'EXISTS', ...(keys as [string, string]))).toBe(2);
        // Sharded pub/sub: the live channel is a shard channel of the owning master only.
        const redisChannel = `${prefix}${tag}${channel}`;
        for (const master of owners)
          expect(await askNode(master, 'PUBSUB', 'SHARDCHANNELS', redisChannel)).toEqual(
            master === owners[i] ? [redisChannel] : [],
          );
      }
      await client.waitFor((c) =>
        channels.every((_, i) => c.events.some((e) => e.data === `hello ${i}`)),
      );
    } finally {
      client.close();
    }
  });

  it('resumes across shards and workers from the last id the client saw, cut after every block', async () => {
    published = [];
    const first = await open(worker(0));
    await worker(0).app.get(BroadcastService).publish(channels[0], 'start');
    await first.client.waitFor((c) => c.events.some((e) => e.data === 'start'));
    await first.client.waitFor((c) => c.raw.endsWith('\n\n'));
    first.client.close();
    const startId = lastEventIdOf(first.client.raw)!;
    expect(startId.split('_')).toHaveLength(3); // one part per shard's counter

    for (let i = 0; i < EVENTS; i++) {
      const channel = channels[PATTERN[i]];
      published.push(`${channel}#${i}`);
      await worker(i).app.get(BroadcastService).publish(channel, `${channel}#${i}`);
    }

    const full = await resume(worker(1), startId);
    expect(perChannel(eventsOf(full), channels)).toEqual(perChannel(published, channels));
    for (const { cut, expected, got } of await resumesAtEveryCut(full, startId, (at, id) =>
      resume(worker(at), id),
    ))
      expect({ cut, got }).toEqual({ cut, got: expected });
  });
});
