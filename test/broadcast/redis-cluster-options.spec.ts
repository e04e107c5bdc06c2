import { inspect } from 'node:util';
import { Cluster } from 'ioredis';
import {
  createBroadcaster,
  SseConnectError,
  type Broadcaster,
  type SseLogger,
} from '../../src/index.js';
import { serveChannel } from '../helpers/serve-channel.js';
import { RedisClusterTopology } from '../helpers/redis-cluster.js';
import { waitUntil } from '../helpers/wait.js';

const quiet: SseLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('Redis transport options on a cluster', () => {
  let topology: RedisClusterTopology;

  beforeAll(async () => {
    topology = await RedisClusterTopology.start({ masters: 3 });
  });

  afterAll(async () => {
    await topology?.stop();
  });

  it.each([
    ['url', (port: number) => ({ url: `redis://:s3cret@127.0.0.1:${port}` })],
    ['options', (port: number) => ({ options: { host: '127.0.0.1', port, password: 's3cret' } })],
  ])('fails fast when %s leads to a cluster node, saying to use cluster', async (_, config) => {
    const port = topology.nodes[1];
    const started = Date.now();
    const failure = (await createBroadcaster({
      transport: { type: 'redis', ...config(port) },
      logger: quiet,
    }).catch((error: unknown) => error)) as Error;
    expect(Date.now() - started).toBeLessThan(1500);
    expect(failure).toBeInstanceOf(SseConnectError);
    expect(failure.message).toBe(
      `Redis transport: 127.0.0.1:${port} is a Redis Cluster node (cluster_enabled:1): configure ` +
        "it as transport: { type: 'redis', cluster: { nodes: [...] } } instead of url/options " +
        '(through a single node, history writes fail with MOVED and every PUBLISH is relayed to every node)',
    );
    expect(failure.message).not.toContain('s3cret');
  });

  it('with failFast too', async () => {
    await expect(
      createBroadcaster({
        transport: { type: 'redis', url: `redis://127.0.0.1:${topology.nodes[0]}`, failFast: true },
        logger: quiet,
      }),
    ).rejects.toThrow(/is a Redis Cluster node/);
  });

  it('takes a Cluster of yours as client: duplicated with our settings, yours kept, never closed', async () => {
    const mine = new Cluster(topology.startupNodes.slice(0, 1), {
      enableOfflineQueue: false,
      redisOptions: { connectionName: 'mine', autoResendUnfulfilledCommands: true },
    });
    const broadcaster = await createBroadcaster({
      transport: { type: 'redis', client: mine, channelPrefix: 'client:', failFast: true },
      logger: quiet,
    });
    try {
      const transport = (
        broadcaster.channels as unknown as {
          transport: { connections: { publisher: Cluster } };
        }
      ).transport;
      const { publisher } = transport.connections;
      expect(publisher).not.toBe(mine);
      expect(publisher.isCluster).toBe(true);
      // Without the cluster's offline queue, ioredis retries a command for a node still connecting
      // on a random node, and publishes get out of order.
      expect(publisher.options.enableOfflineQueue).toBe(true);
      expect(publisher.options.redisOptions).toMatchObject({
        connectionName: 'mine',
        autoResendUnfulfilledCommands: false,
      });
      // Yours is untouched.
      expect(mine.options.enableOfflineQueue).toBe(false);
      expect(mine.options.redisOptions?.autoResendUnfulfilledCommands).toBe(true);

      // It publishes with SPUBLISH on the channel's master, where our subscriber listens.
      const channel = 'news';
      const { client, close } = await serveChannel(broadcaster, channel);
      try {
        const owner = await topology.ownerOf(`client:${channel}`);
        const [, subscribers] = (await topology.ask(
          owner,
          'PUBSUB',
          'SHARDNUMSUB',
          `client:${channel}`,
        )) as [string, number];
        expect(subscribers).toBe(1);
        await broadcaster.broadcast.publish(channel, { event: 'news', data: 'hello' });
        await client.waitFor((c) => c.events.some((e) => e.event === 'news'), 5000, 'the news');
        expect(client.events.filter((e) => e.event === 'news').map((e) => e.data)).toEqual([
          'hello',
        ]);
      } finally {
        await close();
      }
    } finally {
      await broadcaster.close();
    }
    expect(mine.status).not.toBe('end');
    mine.disconnect();
  });

  it('with history: starts, stores and delivers (ids name their counter: 16 on a cluster)', async () => {
    const broadcaster = await createBroadcaster({
      transport: {
        type: 'redis',
        cluster: { nodes: topology.startupNodes },
        channelPrefix: 'history:',
        failFast: true,
      },
      history: { size: 100 },
      logger: quiet,
    });
    const { client, close } = await serveChannel(broadcaster, 'feed');
    try {
      const id = await broadcaster.broadcast.publish('feed', { event: 'n', data: 'stored' });
      expect(id).toMatch(/^\d+:\d+-\d+-/);
      await client.waitFor((c) => c.events.some((e) => e.event === 'n'), 5000, 'the event');
      const received = client.events.filter((e) => e.event === 'n');
      expect(received.map((e) => e.data)).toEqual(['stored']);
      // The connection's channels may span two counters: its position names the event's part.
      expect(received[0].id?.split('_')).toContain(id);
    } finally {
      await close();
      await broadcaster.close();
    }
  });

  it('counts connections across workers on a cluster (globalCount)', async () => {
    const transport = {
      type: 'redis' as const,
      cluster: { nodes: topology.startupNodes },
      channelPrefix: 'count:',
      failFast: true,
      presence: { interval: 100, ttl: 2000 },
    };
    const workers = [
      await createBroadcaster({ transport, logger: quiet }),
      await createBroadcaster({ transport, logger: quiet }),
    ];
    const served = [await serveChannel(workers[0], 'room'), await serveChannel(workers[1], 'room')];
    try {
      const deadline = Date.now() + 5000;
      while ((await workers[0].broadcast.globalCount('room')) !== 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await workers[0].broadcast.globalCount('room')).toBe(2);
    } finally {
      for (const { close } of served) await close();
      for (const worker of workers) await worker.close();
    }
  });

  it('logs an error when a url to a node that was down at startup turns out to be a cluster node', async () => {
    const port = topology.nodes[2];
    const errors: string[] = [];
    await topology.kill(port);
    let broadcaster: Broadcaster | undefined;
    try {
      broadcaster = await createBroadcaster({
        transport: { type: 'redis', url: `redis://127.0.0.1:${port}` },
        logger: { ...quiet, error: (message: string) => errors.push(message) },
      });
      await topology.restart(port);
      const deadline = Date.now() + 10_000;
      while (!errors.some((m) => m.includes('is a Redis Cluster node')) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(errors.filter((m) => m.includes('is a Redis Cluster node'))).toEqual([
        expect.stringContaining(`127.0.0.1:${port} is a Redis Cluster node`),
      ]);
    } finally {
      await broadcaster?.close();
      await topology.restart(port);
      await topology.waitUntilOk();
    }
  });
});

describe('Redis transport on a cluster with a password', () => {
  let topology: RedisClusterTopology;

  beforeAll(async () => {
    topology = await RedisClusterTopology.start({ masters: 3, password: 's3cret' });
  });

  afterAll(async () => {
    await topology?.stop();
  });

  it('passes redisOptions (password) to every node connection, the subscriber’s too', async () => {
    const broadcaster = await createBroadcaster({
      transport: {
        type: 'redis',
        cluster: {
          nodes: topology.startupNodes.slice(0, 1),
          options: { redisOptions: { password: 's3cret' } },
        },
        failFast: true,
      },
      logger: quiet,
    });
    const { client, close } = await serveChannel(broadcaster, 'news');
    try {
      const owner = await topology.ownerOf('sse:news');
      expect(await topology.ask(owner, 'PUBSUB', 'SHARDNUMSUB', 'sse:news')).toEqual([
        'sse:news',
        1,
      ]);
      await broadcaster.broadcast.publish('news', { event: 'n', data: 'hello' });
      await client.waitFor((c) => c.events.some((e) => e.event === 'n'), 5000, 'the event');
    } finally {
      await close();
      await broadcaster.close();
    }
  });

  it('with a wrong password, failFast startup fails naming no password', async () => {
    const failure = (await createBroadcaster({
      transport: {
        type: 'redis',
        cluster: {
          nodes: topology.startupNodes.slice(0, 1),
          options: { redisOptions: { password: 'wr0ng-s3cret' } },
        },
        failFast: true,
      },
      publishTimeout: 1000,
      logger: quiet,
    }).catch((error: unknown) => error)) as Error;
    expect(failure).toBeInstanceOf(SseConnectError);
    expect(failure.message).toMatch(
      /^Redis transport: Redis refused the login \(failFast\): WRONGPASS .*; check the username and password$/,
    );
    expect((failure as SseConnectError).timedOut).toBe(false);
    // Nor anything Node prints with it: its cause, with the client's fields (the AUTH command).
    expect(inspect(failure, { depth: 10 })).not.toContain('s3cret');
  });
  it('with a wrong password and no failFast, logs why: the node refused the login, naming no password', async () => {
    const lines: string[] = [];
    const logger: SseLogger = {
      log: (line) => lines.push(line),
      warn: (line) => lines.push(line),
      error: (line) => lines.push(line),
    };
    const broadcaster = await createBroadcaster({
      transport: {
        type: 'redis',
        cluster: {
          nodes: topology.startupNodes.slice(0, 1),
          options: { redisOptions: { password: 'wr0ng-s3cret' } },
        },
      },
      publishTimeout: 1000,
      logger,
    });
    try {
      await waitUntil(() => lines.some((line) => /connection failed/.test(line)), 'the log', 5000);
      expect(lines.find((line) => /connection failed/.test(line))).toMatch(
        /Failed to refresh slots cache \(last node: WRONGPASS/,
      );
      expect(lines.join('\n')).not.toContain('s3cret');
    } finally {
      await broadcaster.close();
    }
  });
});
