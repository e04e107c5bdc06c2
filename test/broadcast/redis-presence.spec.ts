import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import {
  SseTransportError,
  createBroadcaster,
  createSseHandler,
  type Broadcaster,
  type SseConnection,
  type SseHandler,
  type SseLogger,
} from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { OwnRedisServer } from '../helpers/redis-server.js';
import { sleep, waitUntil } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent: SseLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** One "worker" in this process: a broadcaster and a bare node:http server joining `?channels`. */
class Worker {
  private constructor(
    readonly broadcaster: Broadcaster,
    private readonly handler: SseHandler,
    private readonly server: Server,
  ) {}

  static async start(url: string, prefix: string, presence?: false): Promise<Worker> {
    const broadcaster = await createBroadcaster({
      transport: { type: 'redis', url, channelPrefix: prefix, failFast: true, presence },
      publishTimeout: 1000,
      logger: silent,
    });
    const handler = createSseHandler(
      {
        async onConnect(sse: SseConnection) {
          const query = new URL(sse.request.url ?? '/', 'http://x').searchParams;
          for (const channel of (query.get('channels') ?? '').split(',').filter(Boolean))
            await sse.join(channel);
          await sse.sendEvent({ event: 'ready', data: sse.id });
        },
      },
      { channels: broadcaster.channels, logger: silent },
    );
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new Worker(broadcaster, handler, server);
  }

  get broadcast() {
    return this.broadcaster.broadcast;
  }

  async open(channels: string): Promise<RawSseClient> {
    const { port } = this.server.address() as AddressInfo;
    const client = await RawSseClient.open(`http://127.0.0.1:${port}/?channels=${channels}`);
    await client.waitForEvents(1);
    return client;
  }

  async close(): Promise<void> {
    this.handler.close();
    await this.broadcaster.close();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Polls `globalCount` until it returns `expected` (other workers flush every second). */
async function waitForCount(worker: Worker, channel: string | undefined, expected: number) {
  let last = -1;
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    last = await worker.broadcast.globalCount(channel);
    if (last === expected) return;
    await sleep(50);
  }
  throw new Error(`globalCount(${String(channel)}) stayed ${last}, expected ${expected}`);
}

describe('globalCount on the Redis transport (workers in one process)', () => {
  const prefix = `test:${randomUUID()}:`;
  let redis: Redis;
  let a: Worker;
  let b: Worker;
  const clients: RawSseClient[] = [];

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    [a, b] = await Promise.all([Worker.start(REDIS_URL, prefix), Worker.start(REDIS_URL, prefix)]);
  });
  afterAll(async () => {
    clients.forEach((client) => client.close());
    await Promise.all([a.close(), b.close()]);
    redis.disconnect();
  });

  it('sums every worker: its own count at once, the others within a flush', async () => {
    clients.push(await a.open('news'), await a.open('news'), await a.open('sports'));
    expect(await a.broadcast.globalCount('news')).toBe(2); // our own is live
    clients.push(await b.open('news,sports'));
    await waitForCount(a, 'news', 3);
    await waitForCount(a, 'sports', 2);
    await waitForCount(a, undefined, 4);
    await waitForCount(b, 'news', 3);
    expect(await a.broadcast.globalCount('nobody-here')).toBe(0);

    clients.shift()!.close();
    await waitUntil(() => a.broadcast.localCount('news') === 1, 'a stream left');
    await waitForCount(b, 'news', 2);
    await waitForCount(b, undefined, 3);
  });

  it('keeps each worker in one expiring hash, and leaves the channels with no member out', async () => {
    const brief = await a.open('brief');
    await waitForCount(b, 'brief', 1);
    brief.close();
    await waitForCount(b, 'brief', 0);
    const workers = await redis.zrange(`${prefix}{presence}:workers`, 0, -1);
    expect(workers).toHaveLength(2);
    const hashes = await Promise.all(
      workers.map((id) => redis.hgetall(`${prefix}{presence}:w:${id}`)),
    );
    expect(hashes).toEqual(
      expect.arrayContaining([
        // every stream is in its endpoint's channel too (`/` here)
        { t: '2', 'c:/': '2', 'c:news': '1', 'c:sports': '1' },
        { t: '1', 'c:/': '1', 'c:news': '1', 'c:sports': '1' },
      ]),
    );
    const ttl = await redis.pttl(`${prefix}{presence}:w:${workers[0]}`);
    expect(ttl).toBeGreaterThan(3000);
    expect(ttl).toBeLessThanOrEqual(5000);
  });

  it('rewrites a worker hash that Redis lost (restart without persistence) at the next flush', async () => {
    const workers = await redis.zrange(`${prefix}{presence}:workers`, 0, -1);
    await redis.del(`${prefix}{presence}:w:${workers[0]}`, `${prefix}{presence}:w:${workers[1]}`);
    await waitForCount(a, undefined, 3);
    await waitForCount(b, undefined, 3);
    const rewritten = await redis.hgetall(`${prefix}{presence}:w:${workers[0]}`);
    expect(Object.keys(rewritten).sort()).toEqual(['c:/', 'c:news', 'c:sports', 't']);
  });

  it('drops a worker that closes at once, and its keys', async () => {
    const c = await Worker.start(REDIS_URL, prefix);
    await c.open('news').then((client) => clients.push(client));
    await waitForCount(a, 'news', 3);
    const before = await redis.zrange(`${prefix}{presence}:workers`, 0, -1);
    expect(before).toHaveLength(3);
    clients.pop()!.close();
    await c.close();
    expect(await a.broadcast.globalCount('news')).toBe(2);
    expect(await redis.zrange(`${prefix}{presence}:workers`, 0, -1)).toHaveLength(2);
  });
});

describe('globalCount when it cannot count', () => {
  it('rejects with SseTransportError while Redis is unreachable; after a restart that lost the counts, they are back', async () => {
    const server = await OwnRedisServer.start();
    const [a, b] = await Promise.all([
      Worker.start(server.url, 'p:'),
      Worker.start(server.url, 'p:'),
    ]);
    const clients = [await a.open('room'), await b.open('room')];
    await waitForCount(a, 'room', 2);
    await server.kill();
    await waitUntil(() => a.broadcast.transportState === 'down', 'the outage');
    const failure = a.broadcast.globalCount('room');
    await expect(failure).rejects.toThrow(SseTransportError);
    await expect(failure).rejects.toThrow(
      'Redis transport: global count of "room" failed: not connected to Redis (unreachable?)',
    );
    await server.restart(); // empty: no persistence
    await waitUntil(() => a.broadcast.transportState === 'up', 'the recovery', 10000);
    await waitForCount(a, 'room', 2);
    clients.forEach((client) => client.close());
    await Promise.all([a.close(), b.close()]);
    await server.kill();
  });

  it('rejects with SseTransportError after publishTimeout when Redis hangs', async () => {
    const server = await OwnRedisServer.start();
    const worker = await Worker.start(server.url, 'p:');
    server.signal('SIGSTOP');
    try {
      const started = Date.now();
      const error = await worker.broadcast.globalCount().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SseTransportError);
      expect(error).toMatchObject({ timedOut: true });
      expect((error as Error).message).toBe(
        'Redis transport: global count not accepted within 1000 ms (Redis unreachable?)',
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    } finally {
      server.signal('SIGCONT');
    }
    await worker.close();
    await server.kill();
  });

  it('rejects with SseTransportError when presence is off', async () => {
    const worker = await Worker.start(REDIS_URL, `test:${randomUUID()}:`, false);
    await expect(worker.broadcast.globalCount()).rejects.toThrow(
      'Redis transport: global count unavailable: presence is off (transport option presence: false)',
    );
    await worker.close();
  });

  it('refuses presence timing that could not keep a live worker counted', async () => {
    await expect(
      createBroadcaster({
        transport: { type: 'redis', url: REDIS_URL, presence: { interval: 1000, ttl: 1500 } },
        logger: silent,
      }),
    ).rejects.toThrow(TypeError);
  });
});
