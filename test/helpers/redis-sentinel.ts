import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askNode, freePort } from './redis-server.js';

/** A process of the topology: its port, and its child (stopped by pid). */
interface Node {
  port: number;
  child: ChildProcess;
}

function spawnRedis(args: string[], cwd?: string): ChildProcess {
  return spawn('redis-server', args, { stdio: 'ignore', cwd });
}

function serverArgs(port: number): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
}

/** One command on a short-lived connection, `null` if the node does not answer. */
export function ask(port: number, ...command: [string, ...(string | number)[]]): Promise<unknown> {
  return askNode(port, command);
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `[k1, v1, k2, v2…]` (a SENTINEL reply) as an object. */
function fields(reply: unknown): Record<string, string> {
  const list = reply as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]] = list[i + 1];
  return out;
}

/**
 * A Sentinel topology of the test's own on free ports (never the shared Redis): a primary, a
 * replica of it and one or three sentinels monitoring them as `mymaster` (quorum 1, down after
 * 1 s, failover timeout 3 s). Every process is stopped by its pid in `stop()`.
 */
export class SentinelTopology {
  readonly name = 'mymaster';
  private readonly stopped = new Set<number>();

  private constructor(
    private readonly dir: string,
    readonly primary: Node,
    readonly replica: Node,
    readonly sentinels: Node[],
  ) {}

  /** Starts it, and resolves once every sentinel knows the primary and the synced replica. */
  static async start(sentinelCount: 1 | 3 = 1): Promise<SentinelTopology> {
    const dir = mkdtempSync(join(tmpdir(), 'sse-sentinel-'));
    const [p, r] = [await freePort(), await freePort()];
    // In the temporary directory: a replica writes the RDB of its initial sync to its cwd.
    const primary = { port: p, child: spawnRedis(serverArgs(p), dir) };
    const replica = {
      port: r,
      child: spawnRedis([...serverArgs(r), '--replicaof', '127.0.0.1', String(p)], dir),
    };
    const sentinels: Node[] = [];
    const topology = new SentinelTopology(dir, primary, replica, sentinels);
    try {
      await until(
        async () => String(await ask(r, 'INFO', 'replication')).includes('master_link_status:up'),
        'the replica to sync',
      );
      for (let i = 0; i < sentinelCount; i++) {
        const port = await freePort();
        const conf = join(dir, `sentinel-${port}.conf`);
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            'sentinel resolve-hostnames no',
            `sentinel monitor mymaster 127.0.0.1 ${p} 1`,
            'sentinel down-after-milliseconds mymaster 1000',
            'sentinel failover-timeout mymaster 3000',
            'sentinel parallel-syncs mymaster 1',
            '',
          ].join('\n'),
        );
        sentinels.push({ port, child: spawnRedis([conf, '--sentinel'], dir) });
      }
      for (const sentinel of sentinels) {
        await until(async () => {
          const replicas = (await ask(sentinel.port, 'SENTINEL', 'REPLICAS', 'mymaster')) as
            unknown[] | null;
          return (replicas ?? []).some((entry) => {
            const known = fields(entry);
            return Number(known.port) === r && known.flags === 'slave';
          });
        }, `sentinel ${sentinel.port} to know the replica`);
      }
      if (sentinelCount > 1)
        for (const sentinel of sentinels)
          await until(async () => {
            const master = fields(await ask(sentinel.port, 'SENTINEL', 'MASTER', 'mymaster'));
            return Number(master['num-other-sentinels']) === sentinelCount - 1;
          }, `sentinel ${sentinel.port} to know the others`);
    } catch (error) {
      await topology.stop();
      throw error;
    }
    return topology;
  }

  /** What `transport.options` needs to reach this topology through its sentinels. */
  get sentinelAddresses(): { host: string; port: number }[] {
    return this.sentinels.map(({ port }) => ({ host: '127.0.0.1', port }));
  }

  /** The port of the primary the first sentinel names now. */
  async currentPrimaryPort(): Promise<number | null> {
    const reply = (await ask(
      this.sentinels[0].port,
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      'mymaster',
    )) as [string, string] | null;
    return reply ? Number(reply[1]) : null;
  }

  /** Resolves once the sentinels have promoted `node` (the replica, after a fault). */
  async waitForPromotion(node: Node, timeoutMs = 20_000): Promise<void> {
    await until(
      async () => (await this.currentPrimaryPort()) === node.port,
      `the promotion of ${node.port}`,
      timeoutMs,
    );
  }

  /**
   * Cuts the replica off from the primary (asynchronous replication loss from now on): the
   * primary refuses `PSYNC`/`SYNC` and drops its replica connection; resolves once the replica's
   * link is down. Writes made after this live on the primary only.
   */
  async cutReplicaOff(): Promise<void> {
    await ask(this.primary.port, 'ACL', 'SETUSER', 'default', '-psync', '-sync');
    await ask(this.primary.port, 'CLIENT', 'KILL', 'TYPE', 'replica');
    await until(
      async () =>
        String(await ask(this.replica.port, 'INFO', 'replication')).includes(
          'master_link_status:down',
        ),
      'the replica to lose its link',
    );
  }

  /** What each node says about itself and its clients (for a failure message). */
  async describe(): Promise<string> {
    const lines: string[] = [];
    for (const [what, node] of [
      ['primary', this.primary],
      ['replica', this.replica],
    ] as const) {
      const role = await ask(node.port, 'ROLE');
      const channels = await ask(node.port, 'PUBSUB', 'CHANNELS');
      const clients = await ask(node.port, 'CLIENT', 'LIST');
      lines.push(
        `${what} ${node.port}: ROLE ${JSON.stringify(role)}; PUBSUB CHANNELS ${JSON.stringify(channels)}`,
        String(clients ?? '(no answer)'),
      );
    }
    return lines.join('\n');
  }

  /** Sends `signal` to a node of the topology (SIGKILL: crash; SIGSTOP/SIGCONT: freeze/thaw). */
  signal(node: Node, signal: NodeJS.Signals): void {
    if (node.child.exitCode !== null || node.child.signalCode !== null) return;
    process.kill(node.child.pid!, signal);
  }

  /** Kills a node (SIGKILL) and waits for it to exit. */
  async kill(node: Node): Promise<void> {
    const { child } = node;
    if (child.exitCode !== null || child.signalCode !== null || this.stopped.has(child.pid!))
      return;
    this.stopped.add(child.pid!);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
  }

  /** Stops every process of the topology (by pid) and removes its directory. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.sentinels, this.replica, this.primary].map((node) => this.kill(node)),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
