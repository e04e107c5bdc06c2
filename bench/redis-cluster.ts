import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

// The minimum of test/helpers/redis-cluster.ts the bench needs (its tsconfig compiles only src and
// bench): a three-master cluster of its own on free ports, never the shared Redis.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** One command on a short-lived connection, `null` if the node does not answer. */
async function ask(port: number, ...command: [string, ...string[]]): Promise<unknown> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(...command);
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${output}`)),
    );
  });
}

/** What a master has done so far: CPU seconds (`used_cpu_sys` + `used_cpu_user`) and calls. */
export interface NodeStats {
  port: number;
  cpuSeconds: number;
  calls: Record<string, number>;
}

/** Three masters (no replicas), `redis-cli --cluster create`d; stopped by pid in `stop()`. */
export class BenchCluster {
  private constructor(
    private readonly dir: string,
    private readonly children: ChildProcess[],
    readonly ports: number[],
  ) {}

  static async start(masters = 3): Promise<BenchCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'sse-bench-cluster-'));
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) ports.push(await freePort());
    const children = ports.map((port) =>
      spawn(
        'redis-server',
        [
          ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
          ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)],
        ],
        { stdio: 'ignore', cwd: dir },
      ),
    );
    const cluster = new BenchCluster(dir, children, ports);
    try {
      for (const port of ports)
        await until(async () => (await ask(port, 'PING')) === 'PONG', `node ${port}`);
      await run('redis-cli', [
        ...['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`)],
        ...['--cluster-replicas', '0', '--cluster-yes'],
      ]);
      for (const port of ports)
        await until(
          async () => String(await ask(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
          `cluster_state:ok on ${port}`,
        );
    } catch (error) {
      cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `host:port` of every master, as `transport.cluster.nodes` takes them. */
  get nodes(): string[] {
    return this.ports.map((port) => `127.0.0.1:${port}`);
  }

  /** `INFO cpu` and `INFO commandstats` of every master. */
  async stats(): Promise<NodeStats[]> {
    return Promise.all(
      this.ports.map(async (port) => {
        const info = String(await ask(port, 'INFO', 'all'));
        const field = (name: string) =>
          Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
        const calls: Record<string, number> = {};
        for (const [, command, count] of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm))
          calls[command] = Number(count);
        return { port, cpuSeconds: field('used_cpu_sys') + field('used_cpu_user'), calls };
      }),
    );
  }

  /** Stops every node by its pid and removes the directory. */
  stop(): void {
    for (const child of this.children)
      if (child.pid && child.exitCode === null && child.signalCode === null)
        process.kill(child.pid, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
