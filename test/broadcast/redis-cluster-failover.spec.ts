import { createServer, type Server } from 'node:http';
import {
  createBroadcaster,
  createSseHandler,
  SsePublishError,
  type Broadcaster,
  type SseConnection,
} from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { RedisClusterTopology } from '../helpers/redis-cluster.js';
import { sleep, waitUntil } from '../helpers/wait.js';
import { watchTransportStates } from '../helpers/transport-states.js';

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
    const watch = watchTransportStates(() => broadcast.transportState);
    try {
      await topology.kill(owner);
      await waitUntil(() => broadcast.transportState === 'down', 'the transport to be down');
      await expect(broadcast.publish(CHANNEL, { event: 'n', data: 'lost' })).rejects.toBeInstanceOf(
        SsePublishError,
      );
      await topology.waitForFailover(owner);
      await waitUntil(() => broadcast.transportState === 'up', 'the transport to be up', 10_000);
    } finally {
      watch.stop();
    }
    expect(watch.states).toEqual(['up', 'down', 'up']);
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

  it('a publish in flight when its master dies rejects as unknown, and is not sent again to the promoted replica (it may have run: a second run would be a duplicate)', async () => {
    const { broadcast } = broadcaster;
    await waitUntil(() => broadcast.transportState === 'up', 'the transport to be up', 10_000);
    const owner = await topology.ownerOf(`sse:${CHANNEL}`);
    // The master killed before comes back as the replica of the one that took over.
    for (const port of topology.nodes) if (!topology.pidOf(port)) await topology.restart(port);
    await topology.waitUntilOk(); // and the replica in sync: one that never synced cannot take over
    const replicated = async () =>
      /connected_slaves:1/.test(String(await topology.ask(owner, 'INFO', 'replication')));
    for (const deadline = Date.now() + 20_000; !(await replicated()); await sleep(100))
      if (Date.now() > deadline) throw new Error('the owner has no replica again');
    const pid = topology.pidOf(owner)!;
    process.kill(pid, 'SIGSTOP'); // written, never answered
    const inFlight = broadcast.publish(CHANNEL, { event: 'n', data: 'in-flight' }).then(
      () => null,
      (error: unknown) => error as SsePublishError,
    );
    await sleep(100);
    const killedAt = Date.now();
    await topology.kill(owner);
    const error = await inFlight;
    expect(error).toBeInstanceOf(SsePublishError);
    expect(error!.outcome).toBe('unknown');
    expect(Date.now() - killedAt).toBeLessThan(PUBLISH_TIMEOUT);
    await topology.waitForFailover(owner);
    await waitUntil(() => broadcast.transportState === 'up', 'the transport to be up', 10_000);
    await broadcast.publish(CHANNEL, { event: 'n', data: 'after' });
    await client.waitFor((c) => c.events.some((e) => e.data === 'after'), 5000, 'after');
    expect(client.events.some((e) => e.data === 'in-flight')).toBe(false);
  }, 60_000);
});
