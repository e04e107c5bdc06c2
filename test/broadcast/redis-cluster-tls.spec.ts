import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createBroadcaster, type Broadcaster, type SseLogger } from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { freePort } from '../helpers/redis-server.js';
import { startFailure } from '../helpers/start-failure.js';
import { serveChannel } from '../helpers/serve-channel.js';
import { selfSignedCertificate } from '../helpers/tls-certificate.js';
import { waitUntil } from '../helpers/wait.js';

const run = promisify(execFile);
const quiet: SseLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Three masters that speak only TLS, to clients and to each other (`tls-cluster`), as a managed
 * cluster with in-transit encryption does; made by `redis-cli --tls --cluster create`, stopped by
 * their pids.
 */
class TlsCluster {
  private constructor(
    readonly ports: number[],
    readonly ca: Buffer,
    private readonly children: ChildProcess[],
    private readonly dir: string,
  ) {}

  static async start(): Promise<TlsCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'sse-cluster-tls-'));
    const { key, cert, ca } = selfSignedCertificate(dir);
    const ports = [await freePort(), await freePort(), await freePort()];
    const children = ports.map((port) =>
      spawn(
        'redis-server',
        ['--port', '0', '--bind', '127.0.0.1', '--tls-port', String(port)]
          .concat(['--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert])
          .concat(['--tls-auth-clients', 'no', '--tls-cluster', 'yes', '--tls-replication', 'yes'])
          .concat(['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'])
          .concat(['--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir])
          .concat(['--save', '', '--appendonly', 'no']),
        { stdio: 'ignore' },
      ),
    );
    const cluster = new TlsCluster(ports, ca, children, dir);
    try {
      const cli = ['--tls', '--cacert', cert];
      await waitUntil(
        async () =>
          (
            await Promise.all(
              ports.map((port) =>
                run('redis-cli', [...cli, '-p', String(port), 'PING']).then(
                  ({ stdout }) => stdout.trim() === 'PONG',
                  () => false,
                ),
              ),
            )
          ).every(Boolean),
        'TLS nodes answering',
        5000,
      );
      await run('redis-cli', [
        ...cli,
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-yes',
      ]);
      await waitUntil(
        async () =>
          (
            await Promise.all(
              ports.map((port) =>
                run('redis-cli', [...cli, '-p', String(port), 'CLUSTER', 'INFO']).then(
                  ({ stdout }) => stdout.includes('cluster_state:ok'),
                  () => false,
                ),
              ),
            )
          ).every(Boolean),
        'cluster_state:ok on every node',
        20_000,
      );
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(child.pid!, 'SIGKILL');
        return exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('a Redis Cluster over TLS (tls-cluster, ioredis redisOptions.tls)', () => {
  let cluster: TlsCluster;
  let broadcaster: Broadcaster;

  beforeAll(async () => {
    cluster = await TlsCluster.start();
    broadcaster = await createBroadcaster({
      transport: {
        type: 'redis',
        cluster: {
          nodes: [`127.0.0.1:${cluster.ports[0]}`],
          options: { redisOptions: { tls: { ca: cluster.ca } } },
        },
        failFast: true,
      },
      history: { size: 100 },
      logger: quiet,
    });
  }, 60_000);

  afterAll(async () => {
    await broadcaster?.close();
    await cluster?.stop();
  });

  it('delivers on channels of every shard and resumes with Last-Event-ID', async () => {
    expect(broadcaster.broadcast.transportState).toBe('up');
    // The history counters of these channels (12, 5, 2, 11) live in slots of all three masters.
    for (const channel of ['a', 'b', 'c', 'user:1']) {
      const served = await serveChannel(broadcaster, channel);
      try {
        await broadcaster.broadcast.publish(channel, { event: 'n', data: 'one' });
        await served.client.waitFor((c) => c.events.some((e) => e.data === 'one'), 5000, 'one');
        const lastId = served.client.events.find((e) => e.data === 'one')!.id!;
        served.client.close();
        await broadcaster.broadcast.publish(channel, { event: 'n', data: 'two' });
        const resumed = await RawSseClient.open(served.url, { 'last-event-id': lastId });
        await resumed.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
        expect(resumed.events.filter((e) => e.event === 'n').map((e) => e.data)).toEqual(['two']);
        resumed.close();
      } finally {
        await served.close();
      }
    }
  }, 60_000);

  it('a certificate it cannot verify fails a failFast startup naming the node and the verdict', async () => {
    const failure = await startFailure({
      transport: {
        type: 'redis',
        cluster: {
          nodes: [`127.0.0.1:${cluster.ports[0]}`],
          options: { redisOptions: { tls: {} } },
        },
        failFast: true,
      },
      publishTimeout: 2000,
      logger: quiet,
    });
    expect(failure.message).toBe(
      'Redis transport: could not connect to Redis within 2000 ms (failFast): no cluster startup ' +
        `node reachable (127.0.0.1:${cluster.ports[0]}: self-signed certificate)`,
    );
  });

  it('reached without redisOptions.tls: the failFast error says the nodes speak TLS', async () => {
    const failure = await startFailure({
      transport: {
        type: 'redis',
        cluster: { nodes: [`127.0.0.1:${cluster.ports[1]}`] },
        failFast: true,
      },
      publishTimeout: 1000,
      logger: quiet,
    });
    expect(failure.message).toMatch(
      new RegExp(
        `^Redis transport: could not connect to Redis within 1000 ms \\(failFast\\): .+; ` +
          `127\\.0\\.0\\.1:${cluster.ports[1]} speaks TLS: set redisOptions\\.tls$`,
      ),
    );
  });
});
