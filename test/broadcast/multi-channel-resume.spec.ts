import { randomUUID } from 'node:crypto';
import { BroadcastService, type SseTransportOptions } from '../../src/index.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { streamApp } from '../helpers/stream-app.js';

/**
 * A connection in several history channels resumes from ONE id: whatever prefix of its replay a
 * client received, the id it kept (the last one, as EventSource keeps it) must resume exactly
 * the rest — no gap, no duplicate. That needs the replay of all channels joined in `onConnect`
 * written as one stream in id order.
 */
type TransportName = 'memory' | 'redis';
const SHARED_REDIS = { host: '127.0.0.1', port: 6379 };
const EVENTS = 12;
const PATTERN = [0, 1, 2, 0, 2, 1, 1, 0, 2, 2, 0, 1];

interface Received {
  id: string;
  data: string;
}

describe.each<[TransportName, number]>([
  ['memory', 2],
  ['memory', 3],
  ['redis', 2],
  ['redis', 3],
])('resuming %s history in %i channels with one Last-Event-ID', (transport, channelCount) => {
  const channels = ['user:42', 'announcements', 'team:7'].slice(0, channelCount);
  const query = `channels=${channels.join(',')}`;
  let workers: TestApp[];
  let published: string[];

  beforeAll(async () => {
    const prefix = `test:${randomUUID()}:`;
    const options: SseTransportOptions =
      transport === 'memory'
        ? { type: 'memory' }
        : { type: 'redis', options: SHARED_REDIS, channelPrefix: prefix };
    const count = transport === 'memory' ? 1 : 2; // two workers share one Redis
    workers = [];
    for (let i = 0; i < count; i++)
      workers.push(
        await startApp(streamApp({ transport: options, history: { size: 100 } }), 'express'),
      );
  });
  afterAll(() => Promise.all(workers.map((w) => w.close())));

  const worker = (i: number) => workers[i % workers.length];

  /** Opens a stream on `worker`, resuming from `lastEventId`, and returns what came before `ready`. */
  async function resume(on: TestApp, lastEventId: string): Promise<Received[]> {
    const client = await RawSseClient.open(`${on.url}/stream?${query}`, {
      'Last-Event-ID': lastEventId,
    });
    try {
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
      const ready = client.events.findIndex((e) => e.event === 'ready');
      expect(JSON.parse(client.events[ready].data).replayGap).toBe(false);
      return client.events.slice(0, ready).map((e) => ({ id: e.id!, data: e.data }));
    } finally {
      client.close();
    }
  }

  /** A client receives one event and leaves: the id it keeps is where resumes start. */
  async function startingPoint(): Promise<string> {
    published = [];
    const first = await RawSseClient.open(`${worker(0).url}/stream?${query}`);
    await first.waitFor((c) => c.events.some((e) => e.event === 'ready'));
    await worker(0).app.get(BroadcastService).publish(channels[0], 'start');
    await first.waitFor((c) => c.events.some((e) => e.data === 'start'));
    first.close();
    return first.events.find((e) => e.data === 'start')!.id!;
  }

  async function publishInterleaved(from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i++) {
      // Runs and switches over every channel, from alternating workers.
      const channel = channels[PATTERN[i % PATTERN.length] % channels.length];
      const data = `${channel}#${i}`;
      published.push(data);
      await worker(i).app.get(BroadcastService).publish(channel, data);
    }
  }

  it('writes the whole replay in id order, and every cut of it resumes exactly the rest, twice', async () => {
    const startId = await startingPoint();

    await publishInterleaved(0, EVENTS);

    const full = await resume(worker(1), startId);
    expect(full.map((e) => e.data)).toEqual(published);
    const ids = full.map((e) => e.id);
    expect(ids).toEqual([...new Set(ids)]);

    for (let k = 1; k <= EVENTS; k++) {
      // The client dropped after k events: it kept the id of the k-th.
      const rest = await resume(worker(k), full[k - 1].id);
      expect(rest.map((e) => e.data)).toEqual(published.slice(k));
      // It drops again after j more, and resumes from the id it kept then.
      const j = Math.floor(rest.length / 2);
      const kept = j === 0 ? full[k - 1].id : rest[j - 1].id;
      const again = await resume(worker(k + 1), kept);
      expect(again.map((e) => e.data)).toEqual(published.slice(k + j));
    }
  });

  it('live events published while the replay is read follow it in id order; a resume from the last is empty', async () => {
    const startId = await startingPoint();
    await publishInterleaved(100, 6);

    const client = await RawSseClient.open(`${worker(1).url}/stream?${query}`, {
      'Last-Event-ID': startId,
    });
    try {
      await publishInterleaved(200, 6); // races the replay
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'));
      await client.waitFor((c) => c.events.filter((e) => e.event !== 'ready').length === 12);
      const events = client.events.filter((e) => e.event !== 'ready');
      expect(events.map((e) => e.data)).toEqual(published);
      const lastKept = events[events.length - 1].id!;
      expect(await resume(worker(0), lastKept)).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('a channel joined after something else was written replays on its own: nothing lost', async () => {
    const [early, late] = channels;
    const first = await RawSseClient.open(
      `${worker(0).url}/stream?channels=${early}&later=${late}`,
    );
    await first.waitFor((c) => c.events.some((e) => e.event === 'joined-later'));
    await worker(0).app.get(BroadcastService).publish(early, 'start');
    await first.waitFor((c) => c.events.some((e) => e.data === 'start'));
    const startId = first.events.find((e) => e.data === 'start')!.id!;
    first.close();
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) {
      const channel = i % 2 ? late : early;
      sent.push(`${channel}#${i}`);
      await worker(i).app.get(BroadcastService).publish(channel, `${channel}#${i}`);
    }
    const client = await RawSseClient.open(
      `${worker(1).url}/stream?channels=${early}&later=${late}`,
      { 'Last-Event-ID': startId },
    );
    try {
      await client.waitFor((c) => c.events.some((e) => e.event === 'joined-later'));
      const data = client.events.map((e) => e.event ?? e.data);
      const replayed = client.events.filter((e) => e.id).map((e) => e.data);
      expect(data.indexOf('ready')).toBe(3); // the early channel's replay, then ready
      expect(replayed).toEqual([
        ...sent.filter((d) => d.startsWith(early)),
        ...sent.filter((d) => d.startsWith(late)),
      ]);
    } finally {
      client.close();
    }
  });
});
