import { createServer, type Server } from 'node:http';
import {
  createBroadcaster,
  createSseHandler,
  SsePublishError,
  type Broadcaster,
  type SseConnection,
  type TransportState,
} from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { RedisClusterTopology } from '../helpers/redis-cluster.js';
import { sleep, waitUntil } from '../helpers/wait.js';

const CHANNEL = 'news';
const PUBLISH_TIMEOUT = 1000;

describe('Redis transport on a cluster whose master fails over to its replica', () => {
  let topology: RedisClusterTopology;
  let broadcaster: Broadcaster;
  let server: Server;
  let client: RawSseClient;
  const logs: { level: string; message: string }[] = [];

  beforeAll(async () => {
    topology = await RedisClusterTopology.start({ masters: 3, replicasPerMaster: 1 });
    const logger = {
      log: (message: string) => logs.push({ level: 'log', message }),
      warn: (message: string) => logs.push({ level: 'warn', message }),
      error: (message: string) => logs.push({ level: 'error', message }),
    };
    broadcaster = await createBroadcaster({
      transport: {
        type: 'redis',
        cluster: { nodes: topology.startupNodes.slice(0, 1) },
        failFast: true,
      },
      publishTimeout: PUBLISH_TIMEOUT,
      logger,
    });
    const handler = createSseHandler(
      {
        async onConnect(sse: SseConnection) {
          await sse.join(CHANNEL);
          await sse.sendEvent({ event: 'ready', data: '' });
        },
      },
      { channels: broadcaster.channels, logger },
    );
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    client = await RawSseClient.open(`http://127.0.0.1:${port}/`);
    await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
  });

  afterAll(async () => {
    client?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await broadcaster?.close();
    await topology?.stop();
  });

  it('rejects publishes until the replica took over, then subscribes there and delivers each once', async () => {
    const { broadcast } = broadcaster;
    const owner = await topology.ownerOf(`sse:${CHANNEL}`);
    const states: TransportState[] = [broadcast.transportState];
    const watch = setInterval(() => {
      if (states[states.length - 1] !== broadcast.transportState)
        states.push(broadcast.transportState);
    }, 10);
    try {
      await topology.kill(owner);
      await waitUntil(() => broadcast.transportState === 'down', 'the transport to be down');
      await expect(broadcast.publish(CHANNEL, { event: 'n', data: 'lost' })).rejects.toBeInstanceOf(
        SsePublishError,
      );
      await topology.waitForFailover(owner);
      await waitUntil(() => broadcast.transportState === 'up', 'the transport to be up', 10_000);
    } finally {
      clearInterval(watch);
    }
    if (states[states.length - 1] !== broadcast.transportState)
      states.push(broadcast.transportState);
    expect(states).toEqual(['up', 'down', 'up']);
    expect(logs.filter((l) => /transport is down/.test(l.message))).toHaveLength(1);
    expect(logs.filter((l) => /up again/.test(l.message))).toHaveLength(1);

    const promoted = await topology.ownerOf(`sse:${CHANNEL}`);
    expect(promoted).not.toBe(owner);
    expect(await topology.ask(promoted, 'PUBSUB', 'SHARDCHANNELS')).toContain(`sse:${CHANNEL}`);
    for (let n = 0; n < 10; n++) await broadcast.publish(CHANNEL, { event: 'n', data: String(n) });
    await client.waitFor((c) => c.events.filter((e) => e.event === 'n').length >= 10, 5000, 'ten');
    await sleep(200);
    expect(client.events.filter((e) => e.event === 'n').map((e) => e.data)).toEqual(
      Array.from({ length: 10 }, (_, n) => String(n)),
    );
  });
});
