import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  BroadcastService,
  SseConnectError,
  SsePublishError,
  createBroadcaster,
  SseEndpoint,
  SseModule,
  type OnSseConnect,
  type SseConnection,
  type SseModuleOptions,
} from '../../src/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { PLATFORMS, startApp, type PlatformName } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { OwnRedisServer, freePort } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

/** Joins `?channels=a,b` (a failed join is sent as an `error` event), then sends `ready`. */
@SseEndpoint('/stream')
class StreamEndpoint implements OnSseConnect {
  async onConnect(sse: SseConnection): Promise<void> {
    for (const channel of String(sse.request.query.channels ?? '')
      .split(',')
      .filter(Boolean)) {
      try {
        await sse.join(channel);
      } catch (error) {
        const { name, message } = error as Error;
        sse.trySendEvent({ event: 'join-failed', data: { name, message } });
      }
    }
    sse.trySendEvent({ event: 'ready', data: sse.id });
  }
}

function appWith(options: SseModuleOptions): DynamicModule {
  @Module({})
  class UnreachableRedisModule {}
  return {
    module: UnreachableRedisModule,
    imports: [SseModule.forRoot(options)],
    providers: [StreamEndpoint],
  };
}

const PUBLISH_TIMEOUT = 1000;

/** The app on `platform`, its Redis transport pointed at `url`. */
function startWithRedisAt(url: string, platform: PlatformName) {
  return startApp(
    appWith({ transport: { type: 'redis', url }, publishTimeout: PUBLISH_TIMEOUT }) as never,
    platform,
    undefined,
    new CapturingLogger(),
  );
}

describe.each(PLATFORMS)('shutdown with Redis unreachable, on %s', (platform) => {
  it(`app.close() with the Redis URL on a closed port takes at most publishTimeout + 1 s`, async () => {
    const port = await freePort();
    const server = await startWithRedisAt(`redis://127.0.0.1:${port}`, platform);
    const client = await RawSseClient.open(`${server.url}/stream?channels=news`);
    await client.waitForEvents(1, 2 * PUBLISH_TIMEOUT + 1000);
    const started = Date.now();
    await server.close();
    const took = Date.now() - started;
    console.log(`${platform}: app.close() with Redis on a closed port took ${took} ms`);
    expect(took).toBeLessThan(PUBLISH_TIMEOUT + 1000);
    await client.waitForEnd();
  }, 120_000);

  it('app.close() after the Redis server was killed while streams are open takes at most publishTimeout + 1 s', async () => {
    const redis = await OwnRedisServer.start();
    try {
      const server = await startWithRedisAt(redis.url, platform);
      const broadcast = server.app.get(BroadcastService);
      const clients = await Promise.all(
        [1, 2, 3].map(() => RawSseClient.open(`${server.url}/stream?channels=news`)),
      );
      await Promise.all(clients.map((c) => c.waitForEvents(1)));
      await broadcast.publish('news', 'before');
      await Promise.all(clients.map((c) => c.waitForEvents(2)));
      await redis.kill();
      await waitUntil(() => broadcast.transportState === 'down', 'the transport to notice');
      const lost = broadcast.publish('news', 'lost').catch((error: unknown) => error);
      // A stream that joins a new channel now queues a SUBSCRIBE on the reconnecting subscriber.
      const late = await RawSseClient.open(`${server.url}/stream?channels=late`);
      const started = Date.now();
      await server.close();
      const took = Date.now() - started;
      console.log(`${platform}: app.close() after Redis was killed took ${took} ms`);
      expect(took).toBeLessThan(PUBLISH_TIMEOUT + 1000);
      await Promise.all([...clients, late].map((c) => c.waitForEnd()));
      expect(await lost).toBeInstanceOf(Error);
    } finally {
      await redis.kill();
    }
  }, 120_000);
});

describe('startup with Redis unreachable', () => {
  it('is lenient by default: the app starts, publishes and joins fail after publishTimeout with their own errors', async () => {
    const port = await freePort();
    const server = await startWithRedisAt(`redis://127.0.0.1:${port}`, 'express');
    try {
      const broadcast = server.app.get(BroadcastService);
      expect(broadcast.transportState).toBe('down');
      const started = Date.now();
      const failure = (await broadcast.publish('news', 'x').catch((e: unknown) => e)) as Error;
      expect(Date.now() - started).toBeGreaterThanOrEqual(PUBLISH_TIMEOUT - 50);
      expect(failure).toBeInstanceOf(SsePublishError);
      expect(failure).toMatchObject({ name: 'SsePublishError', timedOut: true });
      expect(failure.message).toMatch(/publish to "news" not accepted within 1000 ms/);

      const client = await RawSseClient.open(`${server.url}/stream?channels=news`);
      await client.waitForEvents(2, 3 * PUBLISH_TIMEOUT);
      expect(client.events[0].event).toBe('join-failed');
      expect(JSON.parse(client.events[0].data)).toEqual({
        name: 'SseSubscribeError',
        message:
          'Redis transport: subscribe to "news" not accepted within 1000 ms (Redis unreachable?)',
      });
      expect(client.events[1].event).toBe('ready');
    } finally {
      await server.close();
    }
  });

  it('with failFast, startup fails within publishTimeout with SseConnectError, naming no password', async () => {
    const port = await freePort();
    const started = Date.now();
    const failure = (await NestFactory.create(
      appWith({
        transport: { type: 'redis', url: `redis://:s3cret@127.0.0.1:${port}`, failFast: true },
        publishTimeout: PUBLISH_TIMEOUT,
      }),
      { logger: false, abortOnError: false },
    ).catch((e: unknown) => e)) as Error;
    expect(Date.now() - started).toBeLessThan(PUBLISH_TIMEOUT + 1000);
    expect(failure).toBeInstanceOf(SseConnectError);
    expect(failure.message).toMatch(
      /^Redis transport: could not connect to Redis within 1000 ms \(failFast\): .*ECONNREFUSED/,
    );
    expect(failure.message).not.toContain('s3cret');
  });

  it('with failFast, the wait logs nothing: the error it ends with says it all', async () => {
    const port = await freePort();
    const logger = new CapturingLogger();
    const failure = await createBroadcaster({
      transport: { type: 'redis', url: `redis://127.0.0.1:${port}`, failFast: true },
      publishTimeout: 500,
      logger,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SseConnectError);
    expect(logger.entries).toEqual([]);
  });

  it('with failFast, createBroadcaster rejects too, and starts as usual when Redis is there', async () => {
    const port = await freePort();
    await expect(
      createBroadcaster({
        transport: { type: 'redis', url: `redis://127.0.0.1:${port}`, failFast: true },
        publishTimeout: 300,
        logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
      }),
    ).rejects.toBeInstanceOf(SseConnectError);
    const up = await createBroadcaster({
      transport: { type: 'redis', url: 'redis://127.0.0.1:6379', failFast: true },
      publishTimeout: 2000,
    });
    expect(up.broadcast.transportState).toBe('up');
    await up.close();
  });
});
