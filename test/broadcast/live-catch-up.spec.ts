import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { BroadcastService, SseMetrics, type SseModuleOptions } from '../../src/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { OwnRedisServer } from '../helpers/redis-server.js';
import { streamApp } from '../helpers/stream-app.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * A worker whose subscriber connection breaks (killed by Redis, as in a failover or a network
 * blip) while another worker publishes: its live streams must not silently miss what was
 * published before it resubscribed.
 */
describe('live streams across a resubscription (own redis-server)', () => {
  let redis: OwnRedisServer;
  let admin: Redis;
  let receiving: TestApp;
  let publishing: TestApp;
  let logger: CapturingLogger;

  let options: SseModuleOptions;

  beforeAll(async () => {
    redis = await OwnRedisServer.start();
    admin = new Redis(redis.port);
    options = {
      transport: { type: 'redis', url: redis.url, channelPrefix: `test:${randomUUID()}:` },
      history: { size: 5000, channels: (name) => name !== 'plain' },
    };
    logger = new CapturingLogger();
    publishing = await startApp(streamApp(options), 'express');
    // Nest's logger is process-wide: the last app's wins, so the receiving one starts last.
    receiving = await startApp(streamApp(options), 'express', undefined, logger);
  });
  afterAll(async () => {
    await Promise.all([receiving?.close(), publishing?.close()]);
    admin?.disconnect();
    await redis?.kill();
  });

  it('on a history channel, catches up what was published meanwhile: every event once, in order', async () => {
    const client = await RawSseClient.open(`${receiving.url}/stream?channels=feed,plain`);
    await client.waitFor((c) => c.events.some((e) => e.event === 'ready'));
    const broadcast = publishing.app.get(BroadcastService);
    const total = 600;
    for (let i = 1; i <= total; i++) {
      if (i === 100) await admin.client('KILL', 'TYPE', 'pubsub'); // every subscriber connection
      await broadcast.publish('feed', String(i));
    }
    // Resubscribed (the channel without history has been reported), so this one is not missed.
    await waitUntil(() => receiving.app.get(SseMetrics).snapshot().liveGaps === 1, 'resubscribed');
    await broadcast.publish('plain', 'after');
    const feed = () => client.events.filter((e) => e.event !== 'ready' && e.data !== 'after');
    await client.waitFor(
      (c) => feed().length >= total && c.events.some((e) => e.data === 'after'),
      10000,
    );
    expect(feed().map((e) => Number(e.data))).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    const ids = feed().map((e) => e.id);
    expect(new Set(ids).size).toBe(total);

    // The channel without history cannot be caught up: counted and logged, the stream kept.
    expect(receiving.app.get(SseMetrics).snapshot().liveGaps).toBe(1);
    expect(logger.messages('warn').join('\n')).toMatch(
      /1 live stream\(s\) of channel "plain" may have missed events/,
    );
    expect(client.ended).toBe(false);
    client.close();
    await waitUntil(() => receiving.app.get(BroadcastService).localCount() === 0, 'gone');
  });

  it('a worker that had received nothing before its subscriber broke still delivers live events after it resubscribed', async () => {
    const fresh = await startApp(streamApp(options), 'express');
    try {
      const client = await RawSseClient.open(`${fresh.url}/stream?channels=quiet`);
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'));
      const metrics = fresh.app.get(SseMetrics);
      expect(metrics.snapshot().liveGaps).toBe(0);
      await admin.client('KILL', 'TYPE', 'pubsub');
      // Nothing tells where to catch up from: reported, and the channel is live again.
      await waitUntil(() => metrics.snapshot().liveGaps >= 1, 'resubscribed');
      await publishing.app.get(BroadcastService).publish('quiet', 'after the break');
      await client.waitFor((c) => c.events.some((e) => e.data === 'after the break'), 5000);
      expect(client.ended).toBe(false);
      client.close();
    } finally {
      await fresh.close();
    }
  });

  it('a history channel that carried live-only events (history: false) reports the break too: those are never replayed', async () => {
    const ownLogger = new CapturingLogger(); // the last app started owns Nest's logger
    const own = await startApp(streamApp(options), 'express', undefined, ownLogger);
    try {
      const client = await RawSseClient.open(`${own.url}/stream?channels=mixed`);
      await client.waitFor((c) => c.events.some((e) => e.event === 'ready'));
      const broadcast = publishing.app.get(BroadcastService);
      await broadcast.publish('mixed', 'stored');
      await broadcast.publish('mixed', 'typing', { history: false });
      await client.waitFor((c) => c.events.some((e) => e.data === 'typing'));
      await admin.client('KILL', 'TYPE', 'pubsub');
      await broadcast.publish('mixed', 'stored meanwhile');
      const reported = () => ownLogger.messages('warn').filter((m) => m.includes('"mixed"'));
      await waitUntil(() => reported().length > 0, 'reported');
      expect(reported()).toEqual([
        expect.stringMatching(
          /^1 live stream\(s\) of channel "mixed" may have missed .*history: false/,
        ),
      ]);
      expect(own.app.get(SseMetrics).snapshot().liveGaps).toBe(1);
      // What history has is caught up as before, and the stream is kept (liveGap: 'log').
      await client.waitFor((c) => c.events.some((e) => e.data === 'stored meanwhile'), 5000);
      expect(client.ended).toBe(false);
      client.close();
    } finally {
      await own.close();
    }
  });
});
