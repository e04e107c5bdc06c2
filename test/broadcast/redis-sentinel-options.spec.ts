import { Redis } from 'ioredis';
import { BroadcastService, SsePublishError } from '../../src/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { startApp } from '../helpers/platforms.js';
import { SentinelTopology, ask } from '../helpers/redis-sentinel.js';
import { streamApp } from '../helpers/stream-app.js';
import { sleep, waitUntil } from '../helpers/wait.js';

const SECRET = 'S3cret-pw-9f2c';

describe('Redis Sentinel options', () => {
  let topology: SentinelTopology;
  beforeAll(async () => {
    topology = await SentinelTopology.start();
  }, 30_000);
  afterAll(() => topology.stop());

  it('closing the app leaves no connection to the sentinels (the failover detector is closed too)', async () => {
    const sentinel = topology.sentinels[0].port;
    const clients = async () =>
      String(await ask(sentinel, 'CLIENT', 'LIST'))
        .split('\n')
        .filter((line) => /cmd=(subscribe|ssubscribe|psubscribe)/.test(line)).length;
    const before = await clients();
    const server = await startApp(
      streamApp({
        transport: {
          type: 'redis',
          options: { sentinels: topology.sentinelAddresses, name: topology.name },
          failFast: true,
        },
      }) as never,
      'express',
    );
    // Each of the two connections listens for +switch-master on the sentinel.
    let during = 0;
    for (let i = 0; i < 50 && during < before + 2; i++) {
      during = await clients();
      await sleep(20);
    }
    expect(during).toBe(before + 2);
    await server.close();
    let after = during;
    for (let i = 0; i < 50 && after > before; i++) {
      after = await clients();
      await sleep(20);
    }
    expect(after).toBe(before);
  }, 30_000);

  it('a password refused by the primary (and one for the sentinels) is in no log line and no error', async () => {
    const logger = new CapturingLogger();
    const server = await startApp(
      streamApp({
        transport: {
          type: 'redis',
          options: {
            sentinels: topology.sentinelAddresses,
            name: topology.name,
            username: 'nobody',
            password: SECRET,
            sentinelPassword: SECRET,
          },
        },
        publishTimeout: 500,
      }) as never,
      'express',
      undefined,
      logger,
    );
    try {
      const failure = (await server.app
        .get(BroadcastService)
        .publish('news', 'x')
        .catch((error: unknown) => error)) as Error;
      expect(failure).toBeInstanceOf(SsePublishError);
      await waitUntil(() => logger.messages('error').length > 0, 'the connection error log');
      const logged = logger.entries.map((e) => `${e.message} ${e.context ?? ''}`).join('\n');
      expect(logged).toMatch(/Redis/);
      expect(logged).not.toContain(SECRET);
      expect(`${failure.message}\n${failure.stack}`).not.toContain(SECRET);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('min-replicas-to-write on the primary: with no replica keeping up, a publish with history rejects (a live-only PUBLISH is no write and goes through)', async () => {
    const primary = new Redis({ port: topology.primary.port, host: '127.0.0.1' });
    const server = await startApp(
      streamApp({
        transport: {
          type: 'redis',
          options: { sentinels: topology.sentinelAddresses, name: topology.name },
        },
        publishTimeout: 1000,
        history: { size: 100 },
      }) as never,
      'express',
      undefined,
      new CapturingLogger(),
    );
    try {
      const broadcast = server.app.get(BroadcastService);
      await primary.config('SET', 'min-replicas-to-write', '1');
      await primary.config('SET', 'min-replicas-max-lag', '1');
      expect(await broadcast.publish('news', 'kept')).toMatch(/^\d+-\d+-[0-9a-z]+$/);
      topology.signal(topology.replica, 'SIGSTOP');
      await sleep(2500); // the replica's last ack is older than min-replicas-max-lag
      const refused = (await broadcast.publish('news', 'x').catch((e: unknown) => e)) as Error;
      expect(refused).toBeInstanceOf(SsePublishError);
      expect(refused.message).toMatch(/NOREPLICAS/);
      await expect(broadcast.publish('news', 'live', { history: false })).resolves.toBeUndefined();
    } finally {
      topology.signal(topology.replica, 'SIGCONT');
      primary.disconnect();
      await server.close();
    }
  }, 30_000);
});
