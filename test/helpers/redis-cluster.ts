import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askNode as askOwnNode, freePort, ownServerArgs } from './redis-server.js';

/** A node of the topology: its port, and its child while it runs (stopped by pid). */
interface Node {
  port: number;
  child: ChildProcess | null;
}

export interface ClusterTopologyOptions {
  /** Masters (at least 3, as `redis-cli --cluster create` requires). */
  masters: number;
  /** Replicas per master (default 0). */
  replicasPerMaster?: number;
  /** `requirepass` (and `masterauth`) of every node; the helper's own commands use it too. */
  password?: string;
}

/** One command on a short-lived connection, `null` if the node does not answer. */
export function askNode(
  port: number,
  ...command: [string, ...(string | number)[]]
): Promise<unknown> {
  return askNodeWith(undefined, port, ...command);
}

function askNodeWith(
  password: string | undefined,
  port: number,
  ...command: [string, ...(string | number)[]]
): Promise<unknown> {
  return askOwnNode(port, command, password);
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}: ${output}`)),
    );
  });
}

/**
 * A Redis Cluster of the test's own on free ports (never the shared Redis): `masters` masters
 * (and `replicasPerMaster` replicas each) with `cluster-node-timeout 2000`, created by
 * `redis-cli --cluster create`, in a temporary directory of its own. Every process is stopped by
 * its pid in `stop()`.
 */
export class RedisClusterTopology {
  private constructor(
    private readonly dir: string,
    private readonly all: Node[],
    private readonly password?: string,
  ) {}

  /** Starts it, and resolves once every node reports `cluster_state:ok`. */
  static async start(options: ClusterTopologyOptions): Promise<RedisClusterTopology> {
    const replicas = options.replicasPerMaster ?? 0;
    const count = options.masters * (1 + replicas);
    const dir = mkdtempSync(join(tmpdir(), 'sse-cluster-'));
    const nodes: Node[] = [];
    for (let i = 0; i < count; i++) nodes.push({ port: await freePort(), child: null });
    const topology = new RedisClusterTopology(dir, nodes, options.password);
    try {
      await Promise.all(nodes.map((node) => topology.launch(node)));
      const auth = options.password ? ['-a', options.password, '--no-auth-warning'] : [];
      await run('redis-cli', [
        ...auth,
        '--cluster',
        'create',
        ...nodes.map(({ port }) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ]);
      await topology.waitUntilOk();
    } catch (error) {
      await topology.stop();
      throw error;
    }
    return topology;
  }

  /** The ports of every node (masters and replicas), in start order. */
  get nodes(): number[] {
    return this.all.map(({ port }) => port);
  }

  /** What `transport.cluster.nodes` (or an ioredis `Cluster`) needs as startup nodes. */
  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((port) => ({ host: '127.0.0.1', port }));
  }

  /** The pid of a node's process, `undefined` when it is not running. */
  pidOf(port: number): number | undefined {
    return this.node(port).child?.pid;
  }

  /** The ports of the masters that own slots now (asked of a running node). */
  async masters(): Promise<number[]> {
    const slots = await this.slots();
    return [...new Set(slots.map(([, , master]) => Number(master[1])))];
  }

  /** The port of the master that owns the slot of `keyOrChannel` now. */
  async ownerOf(keyOrChannel: string): Promise<number> {
    const slot = Number(await this.askAny('CLUSTER', 'KEYSLOT', keyOrChannel));
    const range = (await this.slots()).find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`No node owns slot ${slot}`);
    return Number(range[2][1]);
  }

  /** One command to one node, `null` if it does not answer. */
  ask(port: number, ...command: [string, ...(string | number)[]]): Promise<unknown> {
    return askNodeWith(this.password, port, ...command);
  }

  /** The slot of `keyOrChannel`, the master that owns it, and another master to move it to. */
  async placeOf(keyOrChannel: string): Promise<{ slot: number; owner: number; target: number }> {
    const owner = await this.ownerOf(keyOrChannel);
    const slot = Number(await this.ask(owner, 'CLUSTER', 'KEYSLOT', keyOrChannel));
    const target = (await this.masters()).find((port) => port !== owner)!;
    return { slot, owner, target };
  }

  /**
   * Moves `slot` from master `from` to master `to` as `redis-cli --cluster reshard` does: marks it
   * importing and migrating, `MIGRATE`s its keys one at a time (`betweenKeysMs` apart, so commands
   * meet the slot half moved), then gives it to `to` on every node — `to` first, as the manual
   * says, or `from` first (as a hand-made reshard may: for a moment neither serves it), the two
   * `betweenEndsMs` (by default `betweenKeysMs`) apart. Returns the keys moved.
   */
  async moveSlot(
    slot: number,
    from: number,
    to: number,
    betweenKeysMs = 0,
    first: 'target' | 'source' = 'target',
    betweenEndsMs = betweenKeysMs,
  ): Promise<string[]> {
    const idOf = async (port: number) => String(await this.ask(port, 'CLUSTER', 'MYID'));
    const [fromId, toId] = [await idOf(from), await idOf(to)];
    await this.ask(to, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
    await this.ask(from, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
    const moved: string[] = [];
    for (;;) {
      const [key] = (await this.ask(from, 'CLUSTER', 'GETKEYSINSLOT', slot, 1)) as string[];
      if (key === undefined) break;
      const auth = this.password ? ['AUTH', this.password] : [];
      await this.ask(from, 'MIGRATE', '127.0.0.1', to, '', 0, 5000, ...auth, 'KEYS', key);
      moved.push(key);
      if (betweenKeysMs > 0) await new Promise((resolve) => setTimeout(resolve, betweenKeysMs));
    }
    const ends = first === 'target' ? [to, from] : [from, to];
    for (const port of [...ends, ...this.nodes.filter((p) => p !== to && p !== from)]) {
      await this.ask(port, 'CLUSTER', 'SETSLOT', slot, 'NODE', toId);
      // The two ends learn it `betweenEndsMs` apart, as by hand.
      if (port === ends[0] && betweenEndsMs > 0)
        await new Promise((resolve) => setTimeout(resolve, betweenEndsMs));
    }
    return moved;
  }

  /** Calls of `command` a node ran since it started (0 if none), from `INFO commandstats`. */
  async calls(port: number, command: string): Promise<number> {
    const stats = String(await this.ask(port, 'INFO', 'commandstats'));
    const entry = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats);
    return entry ? Number(entry[1]) : 0;
  }

  /** Kills a node (SIGKILL: a crash) and waits for it to exit. */
  async kill(port: number): Promise<void> {
    const node = this.node(port);
    const child = node.child;
    node.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
  }

  /** Starts a killed node again with its own config file (it rejoins as who it was). */
  async restart(port: number): Promise<void> {
    const node = this.node(port);
    if (node.child) return;
    await this.launch(node);
  }

  /**
   * Resolves once every running node reports `cluster_state:ok` (the slots are covered) and every
   * running replica is in sync with its master (a replica that never synced refuses to fail over).
   */
  async waitUntilOk(timeoutMs = 20_000): Promise<void> {
    await until(
      async () => {
        for (const node of this.all) {
          if (!node.child) continue;
          const info = await this.ask(node.port, 'CLUSTER', 'INFO');
          if (!String(info).includes('cluster_state:ok')) return false;
          const replication = String(await this.ask(node.port, 'INFO', 'replication'));
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up'))
            return false;
        }
        return true;
      },
      'cluster_state:ok on every node and replicas in sync',
      timeoutMs,
    );
  }

  /** Resolves once a master other than `port` owns the slots `port` owned (a replica took over). */
  async waitForFailover(port: number, timeoutMs = 20_000): Promise<void> {
    const slot = (await this.slots()).find(([, , master]) => Number(master[1]) === port);
    if (!slot) throw new Error(`Node ${port} owns no slots`);
    await until(
      async () => {
        const owner = (await this.slots()).find(([from]) => from === slot[0]);
        return owner !== undefined && Number(owner[2][1]) !== port;
      },
      `a replica to take over from ${port}`,
      timeoutMs,
    );
  }

  /** Resolves once a running node reports `cluster_state:fail` (after a master is lost). */
  async waitUntilFail(timeoutMs = 20_000): Promise<void> {
    await until(
      async () => {
        for (const node of this.all) {
          if (!node.child) continue;
          if (String(await this.ask(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:fail'))
            return true;
        }
        return false;
      },
      'cluster_state:fail',
      timeoutMs,
    );
  }

  /** Stops every process of the topology (by pid) and removes its directory. */
  async stop(): Promise<void> {
    await Promise.all(this.all.map(({ port }) => this.kill(port)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private node(port: number): Node {
    const node = this.all.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`No node on port ${port} in this cluster`);
    return node;
  }

  private async launch(node: Node): Promise<void> {
    node.child = spawn(
      'redis-server',
      [
        ...ownServerArgs(node.port),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(this.dir, `nodes-${node.port}.conf`),
        '--cluster-node-timeout',
        '2000',
        ...(this.password ? ['--requirepass', this.password, '--masterauth', this.password] : []),
      ],
      // In the temporary directory: a replica writes the RDB of its sync to its cwd.
      { stdio: 'ignore', cwd: this.dir },
    );
    await until(async () => (await this.ask(node.port, 'PING')) === 'PONG', `node ${node.port}`);
  }

  private async askAny(...command: [string, ...(string | number)[]]): Promise<unknown> {
    for (const node of this.all) {
      if (!node.child) continue;
      const reply = await this.ask(node.port, ...command);
      if (reply !== null) return reply;
    }
    throw new Error('No node of the cluster answers');
  }

  /** `CLUSTER SLOTS`: `[from, to, [host, port, id], ...replicas]` per range. */
  private async slots(): Promise<[number, number, [string, number, string]][]> {
    return (await this.askAny('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
  }
}
