import { Redis } from 'ioredis';
import { BroadcastService, type HistoryOptions } from '../../src/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { OwnRedisServer } from '../helpers/redis-server.js';
import { streamApp } from '../helpers/stream-app.js';
import { sleep } from '../helpers/wait.js';

/** History is bounded in time: by default 24 h; idle channels' keys and counter fields expire. */
const PREFIX = 'ttl:';
const COUNTER = `${PREFIX}{history}:seq`;
const streamKey = (channel: string) => `${PREFIX}{history}:stream:${channel}`;

describe('history ttl on Redis (own redis-server)', () => {
  let redis: OwnRedisServer;
  let inspector: Redis;
  let server: TestApp | null = null;

  beforeAll(async () => {
    redis = await OwnRedisServer.start();
    inspector = new Redis(redis.port, '127.0.0.1');
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    await inspector.flushdb(); // our own server
  });
  afterAll(async () => {
    inspector.disconnect();
    await redis.kill();
  });

  async function start(history: HistoryOptions): Promise<BroadcastService> {
    server = await startApp(
      streamApp({ transport: { type: 'redis', url: redis.url, channelPrefix: PREFIX }, history }),
      'express',
      undefined,
      new CapturingLogger(),
    );
    return server.app.get(BroadcastService);
  }

  async function replayGapOf(channel: string, since: string): Promise<boolean> {
    const client = await RawSseClient.open(`${server!.url}/stream?channels=${channel}`, {
      'Last-Event-ID': since,
    });
    try {
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
      return JSON.parse(client.events.find((e) => e.event === 'ready')!.data).replayGap;
    } finally {
      client.close();
    }
  }

  it('without ttl, the stream and the counter expire after 24 h without publishes', async () => {
    const broadcast = await start({ size: 10 });
    await broadcast.publish('news', 'x');
    for (const key of [streamKey('news'), COUNTER]) {
      const pttl = await inspector.pttl(key);
      expect(pttl).toBeGreaterThan(86_390_000);
      expect(pttl).toBeLessThanOrEqual(86_400_000);
    }
  });

  it('an idle channel expires (stream, and lazily its field in the counter); an id older than the ttl is a gap', async () => {
    const broadcast = await start({ size: 10, ttl: 1 });
    const idleId = (await broadcast.publish('idle', 'i1'))!;
    expect(await inspector.hexists(COUNTER, `l:${PREFIX}idle`)).toBe(1);
    let busyId = '';
    for (let i = 0; i < 25; i++) {
      busyId = (await broadcast.publish('busy', `b${i}`))!;
      await sleep(100);
    }
    expect(await inspector.exists(streamKey('idle'))).toBe(0);
    expect(await inspector.hexists(COUNTER, `l:${PREFIX}idle`)).toBe(0); // removed by a publish on busy
    expect(await inspector.hexists(COUNTER, `l:${PREFIX}busy`)).toBe(1);
    expect(await replayGapOf('idle', idleId)).toBe(true);
    expect(await replayGapOf('busy', busyId)).toBe(false);

    await sleep(1100); // nothing published: everything expires
    expect(await inspector.exists(COUNTER, streamKey('busy'))).toBe(0);
    const next = (await broadcast.publish('busy', 'after'))!;
    expect(next.split('-')[2]).not.toBe(busyId.split('-')[2]); // a new epoch
    expect(await replayGapOf('busy', busyId)).toBe(true);
  });
});
