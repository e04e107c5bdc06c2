import type { Redis, RedisOptions } from 'ioredis';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import { clusterTlsOf, isClusterConfig, startupNodesOf } from './redis-cluster.js';
import { addressOfNode, speaksTls, unreachableNodes } from './redis-node-reachability.js';
import type { RedisTransportOptions } from './redis-transport-options.js';

/** What the network says about a Redis the client could not reach at startup. @internal */
export interface StartupDiagnosis {
  detail: string;
  /** It says more than the client's own error, which it replaces (else it is added to it). */
  replacesError: boolean;
}

/**
 * Why the transport's first connection fails, when the network tells more than the client: on a
 * cluster, each startup node's TCP (or TLS) verdict when none answers — the cluster client says
 * only "Failed to refresh slots cache" — and on either, a server that speaks TLS to a client that
 * does not (a managed Redis with in-transit encryption reached with `redis://`). `null` when
 * nothing more is known.
 * @internal
 */
export async function diagnoseStartup(
  config: RedisTransportOptions,
  publisher: Redis,
  timeoutMs: number,
): Promise<StartupDiagnosis | null> {
  if (isClusterConfig(config)) {
    const nodes = startupNodesOf(config);
    const tls = clusterTlsOf(config);
    const unreachable = await unreachableNodes(nodes, timeoutMs, tls);
    if (unreachable)
      return {
        detail: BROADCAST_MESSAGES.redisClusterUnreachable(unreachable),
        replacesError: true,
      };
    if (tls || nodes.length === 0) return null;
    return tlsHint(addressOfNode(nodes[0]), timeoutMs, 'set redisOptions.tls');
  }
  const options = publisher.options as RedisOptions;
  if (options.tls || options.sentinels || options.path) return null;
  const address = { host: options.host ?? 'localhost', port: options.port ?? 6379 };
  return tlsHint(address, timeoutMs, 'use a rediss:// URL or the tls option');
}

async function tlsHint(
  address: { host: string; port: number },
  timeoutMs: number,
  fix: string,
): Promise<StartupDiagnosis | null> {
  if (!(await speaksTls(address, timeoutMs))) return null;
  return {
    detail: BROADCAST_MESSAGES.redisSpeaksTls(`${address.host}:${address.port}`, fix),
    replacesError: false,
  };
}
