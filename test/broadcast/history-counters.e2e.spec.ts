import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
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
import { streamApp } from '../helpers/stream-app.js';

/**
 * History spread over 4 id counters on the shared Redis (`historyCounters: 4`), two workers: a
 * connection in channels of three counters resumes from ONE `Last-Event-ID` — the position block
 * the server writes after each frame — wherever its stream was cut, with no gap and no duplicate.
 */
const SHARED_REDIS = { host: '127.0.0.1', port: 6379 };
const COUNTERS = 4;
const EVENTS = 12;
const PATTERN = [0, 1, 2, 0, 2, 1, 1, 0, 2, 2, 0, 1];

/** Three channels on three different counters. */
function channelsOnDistinctCounters(): string[] {
  const byCounter = new Map<number, string>();
  for (let i = 0; byCounter.size < 3; i++) {
    const name = `room:${i}`;
    const counter = historyCounterOf(name, COUNTERS)!;
    if (!byCounter.has(counter)) byCounter.set(counter, name);
  }
  return [...byCounter.values()];
}

const isReady = (block: string) => block.split('\n').includes('event: ready');

describe('resuming history spread over several id counters with one Last-Event-ID', () => {
  const channels = channelsOnDistinctCounters();
  const query = `channels=${channels.join(',')}`;
  const prefix = `test:${randomUUID()}:`;
  let workers: TestApp[];
  let inspector: Redis;
  let published: string[];

  beforeAll(async () => {
    workers = [];
    for (let i = 0; i < 2; i++)
      workers.push(
        await startApp(
          streamApp({
            transport: {
              type: 'redis',
              options: SHARED_REDIS,
              channelPrefix: prefix,
              historyCounters: COUNTERS,
            },
            // The endpoint's own channel (its path) keeps no history here: only the rooms count.
            history: { size: 100, channels: (channel) => channel.startsWith('room:') },
          }),
          'express',
        ),
      );
    inspector = new Redis(SHARED_REDIS.port, SHARED_REDIS.host);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    inspector?.disconnect();
  });

  const worker = (i: number) => workers[i % workers.length];

  /** The blocks a stream sent before `ready`, resuming from `lastEventId` (absent: fresh). */
  async function open(on: TestApp, lastEventId?: string) {
    const client = await RawSseClient.open(
      `${on.url}/stream?${query}`,
      lastEventId ? { 'Last-Event-ID': lastEventId } : {},
    );
    try {
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
      const blocks = completeBlocks(client.raw);
      const ready = blocks.findIndex(isReady);
      return {
        client,
        blocks: blocks.slice(0, ready),
        replayGap: JSON.parse(dataOf(blocks[ready])!).replayGap as boolean | null,
      };
    } catch (error) {
      client.close();
      throw error;
    }
  }

  async function resume(on: TestApp, lastEventId: string) {
    const opened = await open(on, lastEventId);
    opened.client.close();
    expect(opened.replayGap).toBe(false);
    return opened.blocks;
  }

  async function publishInterleaved(from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i++) {
      const channel = channels[PATTERN[i % PATTERN.length]];
      const data = `${channel}#${i}`;
      published.push(data);
      await worker(i).app.get(BroadcastService).publish(channel, data);
    }
  }

  /** A fresh client receives one event and leaves: the id it kept is where resumes start. */
  async function startingPoint(): Promise<string> {
    published = [];
    const { client } = await open(worker(0));
    await worker(0).app.get(BroadcastService).publish(channels[0], 'start');
    await client.waitFor((c) => c.events.some((e) => e.data === 'start'));
    // The frame, then its position block (same tick): wait for the block too.
    await client.waitFor((c) => c.raw.endsWith('\n\n') && lastEventIdOf(c.raw)!.includes('_'));
    client.close();
    return lastEventIdOf(client.raw)!;
  }

  it('keeps each counter in its own slot-tagged keys', async () => {
    for (const channel of channels) await worker(0).app.get(BroadcastService).publish(channel, 'x');
    for (const channel of channels) {
      const counter = historyCounterOf(channel, COUNTERS);
      const tag = `{history:${counter}}`;
      expect(
        await inspector.exists(`${prefix}${tag}:seq`, `${prefix}${tag}:stream:${channel}`),
      ).toBe(2);
    }
    expect(await inspector.exists(`${prefix}{history}:seq`)).toBe(0);
  });

  it('a fresh connection learns every counter at once: its first position names all three', async () => {
    const { client, blocks } = await open(worker(1));
    client.close();
    const position = lastEventIdOf(blocks.join('\n\n') + '\n\n')!;
    expect(position.split('_').map((part) => Number(part.split(':')[0]))).toEqual(
      channels.map((channel) => historyCounterOf(channel, COUNTERS)).sort(),
    );
  });

  it('the replay, cut after every block, resumes from the last id the client saw: no gap, no duplicate', async () => {
    const startId = await startingPoint();
    expect(startId.split('_')).toHaveLength(3);
    await publishInterleaved(0, EVENTS);

    const full = await resume(worker(1), startId);
    // Each channel in publish order; channels of different counters interleaved by time.
    expect(perChannel(eventsOf(full), channels)).toEqual(perChannel(published, channels));
    for (const { cut, expected, got } of await resumesAtEveryCut(full, startId, (at, id) =>
      resume(worker(at), id),
    ))
      expect({ cut, got }).toEqual({ cut, got: expected });
  });

  it('live events after the replay keep the position: a cut anywhere resumes the rest', async () => {
    const startId = await startingPoint();
    await publishInterleaved(100, 4);
    const { client, blocks } = await open(worker(1), startId);
    try {
      await publishInterleaved(200, 6);
      await client.waitFor(
        (c) => c.events.filter((e) => e.data.includes('#')).length === published.length,
      );
      await client.waitFor((c) => c.raw.endsWith('\n\n'));
      const all = completeBlocks(client.raw).filter((block) => !isReady(block));
      expect(all.length).toBeGreaterThan(blocks.length);
      const got = all.map(dataOf).filter((d): d is string => d !== null && d !== '');
      // Each channel in publish order; channels of different counters interleave by time only.
      expect([...got].sort()).toEqual([...published].sort());
      for (const channel of channels)
        expect(got.filter((d) => d.startsWith(`${channel}#`))).toEqual(
          published.filter((d) => d.startsWith(`${channel}#`)),
        );
      for (let cut = blocks.length; cut <= all.length; cut += 2) {
        const seen = all.slice(0, cut);
        const kept = lastEventIdOf(seen.join('\n\n') + '\n\n', startId)!;
        const received = seen.map(dataOf).filter((d) => d !== null && d !== '').length;
        const rest = await resume(worker(cut), kept);
        expect(
          rest
            .map(dataOf)
            .filter((d) => d !== null && d !== '')
            .sort(),
        ).toEqual(got.slice(received).sort());
      }
    } finally {
      client.close();
    }
  });

  it("a connection in one counter gets no position blocks: its frames' ids are its position", async () => {
    const single = channels[0];
    const client = await RawSseClient.open(`${worker(0).url}/stream?channels=${single}`);
    try {
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'));
      await worker(1).app.get(BroadcastService).publish(single, 'solo');
      await client.waitFor((c) => c.events.some((e) => e.data === 'solo'));
      const id = client.events.find((e) => e.data === 'solo')!.id!;
      expect(id).toMatch(new RegExp(`^${historyCounterOf(single, COUNTERS)}:\\d+-\\d+-[0-9a-z]+$`));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(lastEventIdOf(client.raw)).toBe(id);
    } finally {
      client.close();
    }
  });
});
