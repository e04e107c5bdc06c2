import { Module, type DynamicModule } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import {
  BroadcastService,
  SseEndpoint,
  SseModule,
  SsePublishError,
  type OnSseConnect,
  type SseConnection,
  type SseModuleOptions,
} from '../../src/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { OwnRedisServer } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const SHARED_REDIS = { host: '127.0.0.1', port: 6379 };
const run = promisify(execFile);

@SseEndpoint('/stream')
class StreamEndpoint implements OnSseConnect {
  async onConnect(sse: SseConnection): Promise<void> {
    for (const channel of String(sse.request.query.channels ?? '')
      .split(',')
      .filter(Boolean))
      await sse.join(channel);
    await sse.sendEvent({ event: 'ready', data: sse.id });
  }
}

function appWith(options: SseModuleOptions): DynamicModule {
  @Module({})
  class RedisTestModule {}
  return {
    module: RedisTestModule,
    imports: [SseModule.forRoot(options)],
    providers: [StreamEndpoint],
  };
}

describe.each(PLATFORMS)('Redis transport on %s', (platform) => {
  let server: TestApp | undefined;
  let logger: CapturingLogger;
  const prefix = `test:${randomUUID()}:`;

  beforeEach(() => {
    logger = new CapturingLogger();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(
    options: SseModuleOptions,
  ): Promise<{ url: string; broadcast: BroadcastService }> {
    server = await startApp(appWith(options) as never, platform, undefined, logger);
    return { url: server.url, broadcast: server.app.get(BroadcastService) };
  }

  it('survives a Redis crash and restart: publishes fail clearly while down, streams stay open, delivery resumes', async () => {
    const redis = await OwnRedisServer.start();
    try {
      const { url, broadcast } = await start({
        transport: { type: 'redis', url: redis.url, options: { retryStrategy: () => 50 } },
        publishTimeout: 300,
      });
      const client = await RawSseClient.open(`${url}/stream?channels=news`);
      await client.waitForEvents(1);
      await broadcast.publish('news', 'before');
      await client.waitForEvents(2);

      await redis.kill();
      await waitUntil(() => broadcast.transportState === 'down', 'the transport to notice');
      await expect(broadcast.publish('news', 'lost')).rejects.toBeInstanceOf(SsePublishError);
      await expect(broadcast.publish('news', 'lost')).rejects.toThrow(/not accepted within 300 ms/);
      expect(logger.messages('warn').join('\n')).toMatch(/Redis transport is down/);

      await redis.restart();
      await waitUntil(() => broadcast.transportState === 'up', 'the transport to reconnect', 10000);
      await waitUntil(
        () => logger.messages('log').some((m) => /up again; resubscribed 2 channel/.test(m)),
        'the recovery log',
      );
      await broadcast.publish('news', 'after');
      await client.waitForEvents(3);
      expect(client.ended).toBe(false);
      expect(client.events.slice(1).map((e) => e.data)).toEqual(['before', 'after']);
      client.close();
    } finally {
      await server?.close();
      server = undefined;
      await redis.kill();
    }
  });

  it('logs and skips garbage on a subscribed channel, once per channel, and keeps delivering', async () => {
    const { url, broadcast } = await start({
      transport: { type: 'redis', options: SHARED_REDIS, channelPrefix: prefix },
    });
    const client = await RawSseClient.open(`${url}/stream?channels=news`);
    await client.waitForEvents(1);
    for (const garbage of [
      'hello',
      '{"json":true}',
      'SSE1 [1,2]\ndata: x\n\n',
      'SSE1\nno blank line',
    ]) {
      await run('redis-cli', ['-p', '6379', 'PUBLISH', `${prefix}news`, garbage]);
    }
    await broadcast.publish('news', { event: 'valid', data: 1 });
    await client.waitForEvents(2);
    expect(client.events[1]).toMatchObject({ event: 'valid', data: '1' });
    const warnings = logger.messages('warn').filter((m) => m.includes('not an SSE frame'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${prefix}news`);
    client.close();
  });

  it('subscribes a channel while it has local members and unsubscribes when the last leaves', async () => {
    const { url, broadcast } = await start({
      transport: { type: 'redis', options: SHARED_REDIS, channelPrefix: prefix },
    });
    const inspector = new Redis(SHARED_REDIS);
    try {
      const listed = () => inspector.pubsub('CHANNELS', `${prefix}*`) as Promise<string[]>;
      const clients = await Promise.all(
        [1, 2].map(() => RawSseClient.open(`${url}/stream?channels=room:1`)),
      );
      await Promise.all(clients.map((c) => c.waitForEvents(1)));
      expect((await listed()).sort()).toEqual([`${prefix}/stream`, `${prefix}room:1`]);
      expect(broadcast.localCount('room:1')).toBe(2);
      clients[0].close();
      await waitUntil(() => broadcast.localCount('room:1') === 1, 'one member left');
      expect(await listed()).toContain(`${prefix}room:1`);
      clients[1].close();
      await waitUntil(() => broadcast.localCount('room:1') === 0, 'no member left');
      for (let i = 0; i < 50 && (await listed()).length > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await listed()).toEqual([]);
    } finally {
      inspector.disconnect();
    }
  });

  it('duplicates a client of yours to subscribe and never closes it; quits its own connections on close', async () => {
    const handlesBefore = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'TCPSocketWrap').length;
    const mine = new Redis(SHARED_REDIS);
    const { url, broadcast } = await start({
      transport: { type: 'redis', client: mine, channelPrefix: prefix },
    });
    const client = await RawSseClient.open(`${url}/stream?channels=news`);
    await client.waitForEvents(1);
    await broadcast.publish('news', 'via your client');
    await client.waitForEvents(2);
    await server!.close();
    server = undefined;
    await client.waitForEnd();
    expect(mine.status).toBe('ready');
    expect(await mine.ping()).toBe('PONG');
    mine.disconnect();
    await waitUntil(
      () =>
        process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length <=
        handlesBefore,
      'sockets to close',
    );
  });
});
