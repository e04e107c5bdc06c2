import { randomUUID } from 'node:crypto';
import { EventSource } from 'eventsource';
import { Redis } from 'ioredis';
import {
  BroadcastService,
  SseEndpoint,
  type OnSseConnect,
  type SseConnection,
  type SseModuleOptions,
  type SseTransportOptions,
} from '../../src/index.js';
import { MemoryTransport } from '../../src/broadcast/index.js';
import { SseRuntime } from '../../src/nest/index.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { StreamEndpoint, streamApp } from '../helpers/stream-app.js';
import { waitUntil } from '../helpers/wait.js';

const SHARED_REDIS = { host: '127.0.0.1', port: 6379 };

type TransportName = 'memory' | 'redis';
const TRANSPORTS: TransportName[] = ['memory', 'redis'];

function transportFor(name: TransportName, prefix: string): SseTransportOptions {
  return name === 'memory'
    ? { type: 'memory' }
    : { type: 'redis', options: SHARED_REDIS, channelPrefix: prefix };
}

const readyOf = (client: RawSseClient) =>
  JSON.parse(client.events.find((e) => e.event === 'ready')!.data) as {
    id: string;
    replayGap: boolean | null;
  };
const dataOf = (client: RawSseClient) =>
  client.events.filter((e) => e.event !== 'ready').map((e) => e.data);

describe.each(TRANSPORTS)('history and Last-Event-ID replay on the %s transport', (transport) => {
  let server: TestApp;
  let broadcast: BroadcastService;
  let prefix: string;

  async function start(history: SseModuleOptions['history']) {
    prefix = `test:${randomUUID()}:`;
    server = await startApp(
      streamApp({ transport: transportFor(transport, prefix), history }),
      'express',
    );
    broadcast = server.app.get(BroadcastService);
  }
  afterEach(() => server.close());

  function memoryHistoryLength(channel: string): number {
    const hub = server.app.get(SseRuntime).channels as unknown as { transport: MemoryTransport };
    return hub.transport.historyLength(channel);
  }

  async function redisStreamLength(channel: string): Promise<number> {
    const inspector = new Redis(SHARED_REDIS);
    try {
      return await inspector.xlen(`${prefix}{history}:stream:${channel}`);
    } finally {
      inspector.disconnect();
    }
  }

  it('an EventSource that loses its stream resumes with exactly the missed events, then live ones', async () => {
    await start({ size: 500 });
    const source = new EventSource(`${server.url}/stream?channels=news`);
    const received: { data: string; lastEventId: string }[] = [];
    source.addEventListener('message', (e) =>
      received.push({ data: e.data, lastEventId: e.lastEventId }),
    );
    let opens = 0;
    source.addEventListener('ready', () => opens++);
    try {
      await waitUntil(() => opens === 1, 'the stream');
      for (let i = 1; i <= 50; i++) await broadcast.publish('news', String(i));
      await waitUntil(() => received.length === 50, 'events 1..50');
      server.app.get(StreamEndpoint).connections[0].close();
      for (let i = 51; i <= 100; i++) await broadcast.publish('news', String(i));
      await waitUntil(() => opens === 2, 'the reconnection');
      const resumed = server.app.get(StreamEndpoint).connections[1];
      expect(resumed.lastEventId).toBe(received[49].lastEventId);
      expect(resumed.replayGap).toBe(false);
      for (let i = 101; i <= 110; i++) await broadcast.publish('news', String(i));
      await waitUntil(() => received.length >= 110, 'live events after the replay');
      expect(received.map((e) => Number(e.data))).toEqual(
        Array.from({ length: 110 }, (_, i) => i + 1),
      );
    } finally {
      source.close();
    }
  });

  it('resumes a connection in two channels with one Last-Event-ID, each channel exactly once and in order', async () => {
    await start({ size: 500 });
    const first = await RawSseClient.open(`${server.url}/stream?channels=a,b`);
    await first.waitForEvents(1);
    for (let i = 0; i < 20; i++)
      await broadcast.publish(i % 2 ? 'b' : 'a', `${i % 2 ? 'b' : 'a'}${i}`);
    await first.waitForEvents(21);
    const lastId = first.events[first.events.length - 1].id!;
    first.close();
    for (let i = 20; i < 40; i++)
      await broadcast.publish(i % 2 ? 'b' : 'a', `${i % 2 ? 'b' : 'a'}${i}`);
    const second = await RawSseClient.open(`${server.url}/stream?channels=a,b`, {
      'Last-Event-ID': lastId,
    });
    await second.waitForEvents(21);
    expect(readyOf(second).replayGap).toBe(false);
    const all = [...dataOf(first), ...dataOf(second)];
    expect(all.filter((d) => d.startsWith('a'))).toEqual(
      Array.from({ length: 20 }, (_, k) => `a${2 * k}`),
    );
    expect(all.filter((d) => d.startsWith('b'))).toEqual(
      Array.from({ length: 20 }, (_, k) => `b${2 * k + 1}`),
    );
    second.close();
  });

  it('keeps every sequence contiguous while 100 clients reconnect with random ids under a hammering publisher', async () => {
    await start({ size: 2000 });
    const ids: string[] = [];
    for (let seq = 1; seq <= 200; seq++) ids[seq] = (await broadcast.publish('race', String(seq)))!;
    const LAST = 700;
    let publishing = true;
    const publisher = (async () => {
      for (let seq = 201; seq <= LAST; seq++) {
        await broadcast.publish('race', String(seq));
        if (seq % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      publishing = false;
    })();
    const starts = Array.from({ length: 100 }, (_, i) => 1 + ((i * 37) % 200));
    const clients = await Promise.all(
      starts.map((from) =>
        RawSseClient.open(`${server.url}/stream?channels=race`, { 'Last-Event-ID': ids[from] }),
      ),
    );
    await publisher;
    expect(publishing).toBe(false);
    await Promise.all(
      clients.map((c, i) => c.waitFor((x) => dataOf(x).length >= LAST - starts[i], 15000)),
    );
    clients.forEach((client, i) => {
      const expected = Array.from({ length: LAST - starts[i] }, (_, k) =>
        String(starts[i] + k + 1),
      );
      expect(dataOf(client)).toEqual(expected);
      expect(readyOf(client).replayGap).toBe(false);
      client.close();
    });
  });

  it('reports a gap for an id older than the history, and for unknown or garbage ids, without error', async () => {
    await start({ size: 10 });
    const ids: string[] = [];
    for (let seq = 1; seq <= 30 + (transport === 'redis' ? 100 : 0); seq++) {
      ids[seq] = (await broadcast.publish('small', String(seq)))!;
    }
    const last = ids.length - 1;
    const old = await RawSseClient.open(`${server.url}/stream?channels=small`, {
      'Last-Event-ID': ids[5],
    });
    await old.waitFor((c) => c.events.some((e) => e.event === 'ready'));
    const retained = dataOf(old);
    expect(retained.length).toBeGreaterThanOrEqual(10);
    expect(retained[retained.length - 1]).toBe(String(last));
    expect(Number(retained[0])).toBeGreaterThan(6);
    expect(readyOf(old).replayGap).toBe(true);
    old.close();

    for (const bad of [
      'x',
      '99999999999999999999-0',
      '9'.repeat(1024),
      '99999999-99999999',
      '',
      '1-1-1',
    ]) {
      const client = await RawSseClient.open(`${server.url}/stream?channels=small`, {
        'Last-Event-ID': bad,
      });
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'));
      expect(client.status).toBe(200);
      expect(dataOf(client)).toEqual([]);
      expect(readyOf(client).replayGap).toBe(bad === '' ? null : true);
      client.close();
    }
    const fresh = await RawSseClient.open(`${server.url}/stream?channels=small`);
    await fresh.waitForEvents(1);
    expect(readyOf(fresh).replayGap).toBeNull();
    fresh.close();
  });

  it('resumes from the lastEventId query parameter as from the header (a reloaded page); the header wins; garbage is ignored', async () => {
    await start({ size: 100 });
    const ids: string[] = [];
    for (let seq = 1; seq <= 10; seq++) ids[seq] = (await broadcast.publish('q', String(seq)))!;
    const open = async (query: string, headers: Record<string, string> = {}) => {
      const client = await RawSseClient.open(`${server.url}/stream?channels=q&${query}`, headers);
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'));
      client.close();
      return { data: dataOf(client), gap: readyOf(client).replayGap };
    };
    const fromQuery = await open(`lastEventId=${encodeURIComponent(ids[4])}`);
    expect(fromQuery).toEqual({ data: ['5', '6', '7', '8', '9', '10'], gap: false });
    const resumed = server.app.get(StreamEndpoint).connections.at(-1)!;
    expect([resumed.lastEventId, resumed.resuming]).toEqual([ids[4], true]);
    expect(
      await open(`lastEventId=${encodeURIComponent(ids[8])}`, { 'Last-Event-ID': ids[2] }),
    ).toEqual({
      data: ['3', '4', '5', '6', '7', '8', '9', '10'],
      gap: false,
    });
    expect(
      await open(`lastEventId=${encodeURIComponent(ids[8])}`, { 'Last-Event-ID': 'x' }),
    ).toEqual({
      data: [],
      gap: true,
    });
    for (const bad of ['x', '1-1-1', `${ids[8]}%0A`, `${'9'.repeat(1025)}`, `1&lastEventId=2`]) {
      expect(await open(`lastEventId=${bad}`)).toEqual({ data: [], gap: true });
    }
    expect(await open('lastEventId=')).toEqual({ data: [], gap: null });
  });

  it('reads the query parameter the module or the endpoint names; false turns it off', async () => {
    @SseEndpoint('/from', { lastEventIdQueryParam: 'from' })
    class FromEndpoint implements OnSseConnect {
      async onConnect(sse: SseConnection): Promise<void> {
        await sse.join('q');
        await sse.sendEvent({ event: 'ready', data: { replayGap: sse.replayGap } });
      }
    }
    prefix = `test:${randomUUID()}:`;
    const module = streamApp({
      transport: transportFor(transport, prefix),
      history: { size: 100 },
      lastEventIdQueryParam: false,
    });
    server = await startApp(
      { ...module, providers: [StreamEndpoint, FromEndpoint] } as never,
      'express',
    );
    broadcast = server.app.get(BroadcastService);
    const ids: string[] = [];
    for (let seq = 1; seq <= 5; seq++) ids[seq] = (await broadcast.publish('q', String(seq)))!;
    const id = encodeURIComponent(ids[3]);
    const off = await RawSseClient.open(`${server.url}/stream?channels=q&lastEventId=${id}`);
    const from = await RawSseClient.open(`${server.url}/from?from=${id}&lastEventId=${ids[1]}`);
    for (const client of [off, from]) {
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'));
      client.close();
    }
    expect([dataOf(off), readyOf(off).replayGap]).toEqual([[], null]);
    expect([dataOf(from), readyOf(from).replayGap]).toEqual([['4', '5'], false]);
  });

  it('stays bounded: 10 × size publishes keep about size events', async () => {
    const size = 50;
    await start({ size });
    for (let i = 0; i < 10 * size; i++) await broadcast.publish('bounded', String(i));
    const kept =
      transport === 'memory' ? memoryHistoryLength('bounded') : await redisStreamLength('bounded');
    // Memory keeps exactly `size`; Redis trims in steps of up to 100 entries, like MAXLEN ~.
    expect(kept).toBeGreaterThanOrEqual(size);
    expect(kept).toBeLessThanOrEqual(transport === 'memory' ? size : size + 100);
  });

  it('refuses a publisher id on a history channel; history: false sends live only, without an id', async () => {
    await start({ size: 10, channels: (name) => name !== 'presence' });
    expect(() => broadcast.publish('news', { data: 'x', id: '7' })).toThrow(/keeps history/);
    const client = await RawSseClient.open(`${server.url}/stream?channels=news,presence`);
    await client.waitForEvents(1);
    await broadcast.publish('news', { data: 'typing', event: 'typing' }, { history: false });
    await broadcast.publish('presence', { data: 'here', id: 'custom' });
    await broadcast.publish('news', 'stored');
    await client.waitForEvents(4);
    expect(client.events.slice(1).map((e) => [e.data, e.id])).toEqual([
      ['typing', undefined],
      ['here', 'custom'],
      ['stored', expect.stringMatching(/^\d+-\d+-[0-9a-z]+$/)],
    ]);
    const epoch = client.events[3].id!.split('-')[2];
    const resumed = await RawSseClient.open(`${server.url}/stream?channels=news`, {
      'Last-Event-ID': `0-0-${epoch}`, // before anything of this epoch
    });
    await resumed.waitFor((c) => c.events.some((e) => e.event === 'ready'));
    expect(dataOf(resumed)).toEqual(['stored']);
    client.close();
    resumed.close();
  });

  it('replays a channel on demand with sse.replay, without joining it', async () => {
    await start({ size: 100 });
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await broadcast.publish('archive', `old${i}`))!);
    const client = await RawSseClient.open(`${server.url}/stream?replay=archive`, {
      'Last-Event-ID': ids[1],
    });
    await client.waitFor((c) => c.events.some((e) => e.event === 'ready'));
    expect(dataOf(client)).toEqual(['old3', 'old4', 'old5']);
    expect(JSON.parse(client.events[3].data)).toMatchObject({
      replayedGap: false,
      replayGap: false, // the endpoint channel keeps history too, and had nothing to replay
    });
    await broadcast.publish('archive', 'not joined');
    await broadcast.publish('/stream', 'joined');
    await client.waitForEvents(5);
    expect(dataOf(client)).toEqual(['old3', 'old4', 'old5', 'joined']);
    client.close();
  });
});
