import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import { RedisClusterSubscriber } from './redis-cluster-subscriber.js';
import { keySlot } from './redis-key-slot.js';
import { BatchedScript } from './redis-publish-batch.js';
import type { LivePublish } from './redis-publishes.js';
import { NOT_LOCAL } from './redis.scripts.js';
import type { RedisConstructor } from './load-ioredis.js';
import type { StartupNode } from './redis-node-reachability.js';
import type {
  RedisClusterClient,
  RedisClusterOptions,
  RedisTransportOptions,
} from './redis-transport-options.js';

/**
 * A live-only publish on a cluster: as `PUBLISH_LIVE` (`redis.scripts.ts`), run on the master that
 * owns the Redis channel's slot — every publish of a channel on one node, in order — so that
 * `SPUBLISH` (Redis 7) may name it. KEYS: 1 Redis channel; ARGV: 1 message, 2 deadline in ms on
 * Redis's clock. Returns 0 when run past the deadline, {@link NOT_LOCAL} when the node no longer
 * owns the channel's slot (resharded, failed over: nothing was published), else 1.
 */
const clusterLive = (command: 'SPUBLISH' | 'PUBLISH') => `
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[2]) then
  return 0
end
local sent = redis.pcall('${command}', KEYS[1], ARGV[1])
if type(sent) == 'table' and sent.err then
  if string.find(sent.err, 'non local', 1, true) then return ${NOT_LOCAL} end
  return redis.error_reply(sent.err)
end
return 1
`;

/**
 * {@link clusterLive}, many messages per call (`redis-publish-batch.ts`), one call per master: the
 * channels travel as arguments (`routed`), the call names its first one to reach that master.
 */
const CLUSTER_LIVE = {
  SPUBLISH: new BatchedScript('sseSpublishLiveBatch', clusterLive('SPUBLISH'), 1, 2, [], true),
  PUBLISH: new BatchedScript('ssePublishLiveKeyedBatch', clusterLive('PUBLISH'), 1, 2, [], true),
};

/** Whether the transport is configured for a Redis Cluster (`cluster`, or a `Cluster` as `client`). @internal */
export function isClusterConfig(config: RedisTransportOptions): boolean {
  return (
    Boolean(config.cluster) || (config.client as RedisClusterClient | undefined)?.isCluster === true
  );
}

/** The startup nodes a cluster configuration names (`cluster.nodes`, or a `Cluster` client's). @internal */
export function startupNodesOf(config: RedisTransportOptions): StartupNode[] {
  if (config.cluster) return [...config.cluster.nodes];
  const client = config.client as { startupNodes?: StartupNode[] } | undefined;
  return client?.startupNodes ?? [];
}

/** The TLS options of a cluster configuration's node connections (`redisOptions.tls`), if any. @internal */
export function clusterTlsOf(config: RedisTransportOptions): ConnectionOptions | undefined {
  const options =
    config.cluster?.options ??
    (config.client as { options?: RedisClusterOptions } | undefined)?.options;
  return (options?.redisOptions as RedisOptions | undefined)?.tls;
}

/**
 * On a cluster: sharded pub/sub unless `shardedPubSub: false` — with history too: a history
 * channel's Redis channel carries its id counter's hash tag, so the history script `SPUBLISH`es in
 * its own slot. @internal
 */
export function usesShardedPubSub(config: RedisTransportOptions, _history?: boolean): boolean {
  return config.shardedPubSub ?? true;
}

/**
 * The transport's two "connections" on a cluster: an ioredis `Cluster` to publish (a command goes
 * to the master of its key's slot), and a {@link RedisClusterSubscriber} with a connection of its
 * own to each master. Our settings apply as on a single Redis where a cluster allows: nothing resent
 * on a new node connection (`redisOptions`). The offline queue stays on, unlike on one Redis:
 * without it, ioredis rejects a command for a node whose connection is still opening and retries
 * it on a random node, which redirects it (`MOVED`) behind later ones — publishes out of order. A
 * publish still waits for `ready` itself, and carries its deadline into Redis, so one that
 * rejected never runs later.
 * @internal
 */
export async function openCluster(
  config: RedisTransportOptions,
  Redis: RedisConstructor,
  sharded: boolean,
): Promise<{ publisher: Redis; subscriber: Redis }> {
  const ours = (own: RedisClusterOptions | undefined): ClusterOptions => ({
    ...(own as ClusterOptions),
    lazyConnect: false,
    enableOfflineQueue: true,
    // A command whose node connection closed may have run: never sent again (a duplicate). Nor
    // after CLUSTERDOWN: a retry on a timer of its own lands behind later publishes (out of order).
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 0,
    redisOptions: { ...(own?.redisOptions as RedisOptions), autoResendUnfulfilledCommands: false },
  });
  let cluster: Cluster;
  if (config.client) {
    const client = config.client as RedisClusterClient & { options?: RedisClusterOptions };
    // `duplicate(startupNodes, options)`: the same startup nodes, our settings over the client's.
    cluster = client.duplicate([], ours(client.options)) as Cluster;
  } else {
    const { nodes, options } = config.cluster!;
    const ClusterClass = (Redis as unknown as { Cluster: typeof Cluster }).Cluster;
    cluster = new ClusterClass(nodes as never, ours(options));
  }
  const subscriber = new RedisClusterSubscriber(cluster, Redis, sharded);
  return { publisher: cluster as unknown as Redis, subscriber: subscriber as unknown as Redis };
}

/**
 * On a cluster publisher, replaces the live publish script by one keyed on the channel, batched
 * per master, and returns how to publish with it; on a single Redis, returns `single` unchanged.
 * @internal
 */
export function installClusterPublish(
  publisher: Redis,
  sharded: boolean,
  single: LivePublish,
): LivePublish {
  if (!(publisher as unknown as { isCluster?: boolean }).isCluster) return single;
  const script = CLUSTER_LIVE[sharded ? 'SPUBLISH' : 'PUBLISH'];
  script.install(publisher);
  const cluster = publisher as unknown as Cluster;
  const connections = new Map<string, Redis>();
  const connectionOf = (node: string) => {
    let connection = connections.get(node);
    // A node the client dropped (it left the slot map) ends; one that is back is a new connection.
    if (!connection || connection.status === 'end') {
      connection = masterConnection(cluster, node);
      if (connection) connections.set(node, connection);
      else connections.delete(node);
    }
    return connection;
  };
  return {
    message: (channel, message, deadline) => {
      const slot = keySlot(channel);
      // The slot's master as the client knows it; a call that reaches a node which no longer
      // owns a message's slot answers NOT_LOCAL for that message.
      const node = cluster.slots[slot]?.[0];
      return {
        script,
        keys: [channel],
        args: [message, deadline],
        route: node ?? `slot ${slot}`,
        node,
        connection: node === undefined ? undefined : connectionOf(node),
      };
    },
  };
}

/** The cluster client's connection to master `node` (`host:port`), if it has one. */
function masterConnection(cluster: Cluster, node: string): Redis | undefined {
  return cluster.nodes('master').find(({ options }) => `${options.host}:${options.port}` === node);
}

/**
 * Whether the Redis behind `url`/`options` is a cluster node (`INFO cluster`): `null` when it is
 * not ready within `waitMs` (unreachable: asked again at its first `ready`) or does not say.
 * @internal
 */
export async function isClusterNode(publisher: Redis, waitMs: number): Promise<boolean | null> {
  if (publisher.status !== 'ready') {
    const ready = await new Promise<boolean>((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        publisher.off('ready', onReady);
        publisher.off('close', onClose);
        resolve(value);
      };
      const onReady = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), waitMs);
      publisher.once('ready', onReady);
      publisher.once('close', onClose);
    });
    if (!ready) return null;
  }
  try {
    return /^cluster_enabled:1\b/m.test(await publisher.info('cluster'));
  } catch {
    return null; // e.g. an ACL user without INFO
  }
}

/** `host:port` of a connection, for an error message (never its credentials). @internal */
export function addressOf(client: Redis): string {
  const { host, port, path } = client.options as RedisOptions;
  return path ?? `${host ?? 'localhost'}:${port ?? 6379}`;
}

/** `BROADCAST_MESSAGES.redisIsClusterNode` for `client`. @internal */
export function clusterNodeMessage(client: Redis): string {
  return BROADCAST_MESSAGES.redisIsClusterNode(addressOf(client));
}
