import { createBroadcaster, type Broadcaster } from '../../src/index.js';
import {
  addressOfNode,
  type StartupNode,
} from '../../src/broadcast/redis/redis-node-reachability.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { freePort } from '../helpers/redis-server.js';
import { startFailure } from '../helpers/start-failure.js';
import { waitUntil } from '../helpers/wait.js';

describe('a startup node as ioredis takes it: its address, never its credentials', () => {
  it.each<[StartupNode, { host: string; port: number }]>([
    [7000, { host: 'localhost', port: 7000 }],
    ['7000', { host: 'localhost', port: 7000 }],
    ['10.0.0.5:7001', { host: '10.0.0.5', port: 7001 }],
    ['redis.internal', { host: 'redis.internal', port: 6379 }],
    ['redis://:s3cret@10.0.0.5:7002', { host: '10.0.0.5', port: 7002 }],
    ['rediss://user:s3cret@cache.example.com', { host: 'cache.example.com', port: 6379 }],
    [
      { host: '10.0.0.6', port: 7003 },
      { host: '10.0.0.6', port: 7003 },
    ],
    [{ port: 7004 }, { host: 'localhost', port: 7004 }],
    [{}, { host: 'localhost', port: 6379 }],
  ])('%j', (node, address) => {
    expect(addressOfNode(node)).toEqual(address);
  });
});

describe('a Redis Cluster that cannot be reached says which node and what the network answered', () => {
  it('with failFast: the error names each startup node and the refusal, no password', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const failure = await startFailure({
      transport: {
        type: 'redis',
        cluster: {
          nodes: [`127.0.0.1:${a}`, `redis://:s3cret@127.0.0.1:${b}`],
          options: { redisOptions: { password: 's3cret' } },
        },
        failFast: true,
      },
      publishTimeout: 1000,
      logger: new CapturingLogger(),
    });
    expect(failure.message).toBe(
      'Redis transport: could not connect to Redis within 1000 ms (failFast): no cluster startup ' +
        `node reachable (127.0.0.1:${a}: connect ECONNREFUSED 127.0.0.1:${a}; ` +
        `127.0.0.1:${b}: connect ECONNREFUSED 127.0.0.1:${b})`,
    );
    expect(failure.message).not.toContain('s3cret');
  });

  it('with failFast and a host that does not resolve: the lookup failure', async () => {
    const failure = await startFailure({
      transport: { type: 'redis', cluster: { nodes: ['redis-nope.invalid:6379'] }, failFast: true },
      publishTimeout: 1000,
      logger: new CapturingLogger(),
    });
    expect(failure.message).toMatch(
      /\(failFast\): no cluster startup node reachable \(redis-nope\.invalid:6379: getaddrinfo (ENOTFOUND|EAI_AGAIN) redis-nope\.invalid\)$/,
    );
  });

  it('without failFast: logged once as an error, beside the outage warning', async () => {
    const port = await freePort();
    const logger = new CapturingLogger();
    let broadcaster: Broadcaster | undefined;
    try {
      broadcaster = await createBroadcaster({
        transport: {
          type: 'redis',
          cluster: {
            nodes: [{ host: '127.0.0.1', port }],
            options: { redisOptions: { password: 's3cret' } },
          },
        },
        publishTimeout: 1000,
        logger,
      });
      const reason = `Redis transport: no cluster startup node reachable (127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}); reconnecting`;
      await waitUntil(() => logger.messages('error').includes(reason), 'the reason logged', 5000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(logger.messages('error').filter((m) => m === reason)).toHaveLength(1);
      expect(logger.messages('warn')).toEqual([
        'Redis transport is down: publishes wait up to publishTimeout, then fail; reconnecting',
      ]);
      expect(broadcaster.broadcast.transportState).toBe('down');
      expect(logger.messages().join('\n')).not.toContain('s3cret');
    } finally {
      await broadcaster?.close();
    }
  });
});
