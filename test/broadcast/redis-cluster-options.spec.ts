import { Cluster } from 'ioredis';
import { createServer } from 'node:http';
import {
  createBroadcaster,
  createSseHandler,
  SseConnectError,
  type SseConnection,
  type SseLogger,
} from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { RedisClusterTopology } from '../helpers/redis-cluster.js';

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
      enableOfflineQueue: true,
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
      expect(publisher.options.enableOfflineQueue).toBe(false);
      expect(publisher.options.redisOptions).toMatchObject({
        connectionName: 'mine',
        autoResendUnfulfilledCommands: false,
      });
      // Yours is untouched.
      expect(mine.options.enableOfflineQueue).toBe(true);
      expect(mine.options.redisOptions?.autoResendUnfulfilledCommands).toBe(true);

      // It publishes with SPUBLISH on the channel's master, where our subscriber listens.
      const channel = 'news';
      const handler = createSseHandler(
        {
          async onConnect(sse: SseConnection) {
            await sse.join(channel);
            await sse.sendEvent({ event: 'ready', data: '' });
          },
        },
        { channels: broadcaster.channels, logger: quiet },
      );
      const server = createServer(handler);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const client = await RawSseClient.open(`http://127.0.0.1:${port}/`);
      try {
        await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
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
        client.close();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      await broadcaster.close();
    }
    expect(mine.status).not.toBe('end');
    mine.disconnect();
  });
});
