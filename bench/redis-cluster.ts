import { RedisClusterTopology } from '../test/helpers/redis-cluster.js';

/** What a master has done so far: CPU seconds (`used_cpu_sys` + `used_cpu_user`) and calls. */
export interface NodeStats {
  port: number;
  cpuSeconds: number;
  calls: Record<string, number>;
}

/**
 * Three masters (no replicas) of the bench's own on free ports, never the shared Redis: the tests'
 * {@link RedisClusterTopology}, plus what the cluster rows report per master.
 */
export class BenchCluster {
  private constructor(private readonly topology: RedisClusterTopology) {}

  static async start(masters = 3): Promise<BenchCluster> {
    return new BenchCluster(await RedisClusterTopology.start({ masters }));
  }

  /** `host:port` of every master, as `transport.cluster.nodes` takes them. */
  get nodes(): string[] {
    return this.topology.nodes.map((port) => `127.0.0.1:${port}`);
  }

  /** The masters' pids. */
  get pids(): (number | undefined)[] {
    return this.topology.nodes.map((port) => this.topology.pidOf(port));
  }

  /** `INFO cpu` and `INFO commandstats` of every master. */
  async stats(): Promise<NodeStats[]> {
    return Promise.all(
      this.topology.nodes.map(async (port) => {
        const info = String(await this.topology.ask(port, 'INFO', 'all'));
        const field = (name: string) =>
          Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
        const calls: Record<string, number> = {};
        for (const [, command, count] of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm))
          calls[command] = Number(count);
        return { port, cpuSeconds: field('used_cpu_sys') + field('used_cpu_user'), calls };
      }),
    );
  }

  /** Stops every node by its pid and removes its directory. */
  stop(): Promise<void> {
    return this.topology.stop();
  }
}
