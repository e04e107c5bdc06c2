import { EventEmitter } from 'node:events';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import type { RedisConstructor } from './load-ioredis.js';
import { keySlot } from './redis-key-slot.js';

/** Milliseconds before a lost master connection tries again, growing per attempt up to the cap. */
const RETRY_STEP_MS = 100;
const RETRY_CAP_MS = 1000;
/** While a master is lost, how often the slot map is read again (to find a replica that took over). */
const REFRESH_EVERY_MS = 500;
/**
 * How long subscribing channels that a node redirected (`MOVED`: the slot map is stale, or their
 * slot is being given to another master) goes on, the slot map read again between tries.
 */
const REDIRECTED_FOR_MS = 5000;
const REDIRECTED_PAUSE_MS = 100;

/** Whether `error` is a node's redirection of a subscription (its slot is another node's). */
function isRedirection(error: unknown): boolean {
  return error instanceof Error && /^(MOVED|ASK|TRYAGAIN) /.test(error.message);
}

/** ioredis' record of a connection's subscriptions. */
interface Subscriptions {
  channels(mode: 'subscribe' | 'ssubscribe'): string[];
}

/**
 * The subscriber side of the Redis transport on a cluster, with the face of one ioredis connection
 * (`subscribe`, `unsubscribe`, `ping`, `status`, `ready`/`close`/`error`/`messageBuffer` events), so
 * `RedisConnections` and the transport treat it as they treat a single Redis's subscriber.
 *
 * Behind it, one connection of its own to each master of the cluster (from the publisher's slot
 * map): sharded, a channel is `SSUBSCRIBE`d on the master that owns its slot; classic, every
 * channel is `SUBSCRIBE`d on the master of slot 0 (the cluster relays every `PUBLISH` to every
 * node). Its resubscription is the transport's, as on one Redis: it is `ready` while every master
 * connection is ready, and `close`s when one is lost (or a channel's owner changed after a
 * failover or a resharding) — then the transport catches up once all are back. So the transport
 * is `down` while any master is unreachable, not only the masters of this process's channels.
 * ioredis' own `shardedSubscribers` is not used: it reconnects in a tight loop, says `ready`
 * before it resubscribed, and leaves no way to know which messages may have been missed.
 * @internal
 */
export class RedisClusterSubscriber extends EventEmitter {
  /** Read by `restartWhenEnded` (no failover detector here). */
  readonly options: RedisOptions = {};
  status = 'connecting';
  /** Master `host:port` → this subscriber's connection to it. */
  private readonly masters = new Map<string, Redis>();
  /** Subscribed Redis channel → the master it was subscribed on. */
  private readonly routes = new Map<string, string>();
  /** Master `host:port` of each slot, once the publisher knows the slots. */
  private owners: (string | undefined)[] = [];
  private ended = false;
  private refreshing: NodeJS.Timeout | null = null;
  private known: Promise<void>;
  private resolveKnown!: () => void;

  constructor(
    private readonly cluster: Cluster,
    private readonly Redis: RedisConstructor,
    private readonly sharded: boolean,
  ) {
    super();
    this.known = new Promise((resolve) => (this.resolveKnown = resolve));
    cluster.on('ready', () => this.refresh());
    cluster.on('refresh', () => this.refresh());
    if (cluster.status === 'ready') this.refresh();
  }

  /**
   * Subscribes each channel on the master that owns its slot. One that a node redirects is tried
   * again on the owner in a slot map read again, for up to 5 s (a slot moving between masters
   * takes moments to be known to both); then the redirection is the error.
   */
  async subscribe(...channels: string[]): Promise<void> {
    await this.known;
    const giveUpAt = Date.now() + REDIRECTED_FOR_MS;
    for (let left = channels; ;) {
      const redirected = await this.subscribeOnce(left);
      if (!redirected) return;
      if (Date.now() > giveUpAt || this.ended) throw redirected.error;
      await new Promise<void>((resolve) => this.cluster.refreshSlotsCache(() => resolve()));
      await new Promise((resolve) => setTimeout(resolve, REDIRECTED_PAUSE_MS));
      left = redirected.channels;
    }
  }

  /** One try of {@link subscribe}: the channels a node redirected, and its error, if any. */
  private async subscribeOnce(
    channels: string[],
  ): Promise<{ channels: string[]; error: unknown } | null> {
    const batches = new Map<string, { master: string; connection: Redis; channels: string[] }>();
    for (const channel of channels) {
      const master = this.routeOf(channel);
      const connection = master === undefined ? undefined : this.masters.get(master);
      if (master === undefined || !connection)
        throw new Error(BROADCAST_MESSAGES.redisClusterNoOwner(channel));
      // SSUBSCRIBE takes channels of one slot at a time.
      const batch = `${master} ${this.sharded ? keySlot(channel) : 0}`;
      const entry = batches.get(batch) ?? { master, connection, channels: [] };
      entry.channels.push(channel);
      batches.set(batch, entry);
    }
    const results = await Promise.allSettled(
      [...batches.values()].map(async ({ master, connection, channels: batch }) => {
        await (this.sharded ? connection.ssubscribe(...batch) : connection.subscribe(...batch));
        for (const channel of batch) this.routes.set(channel, master);
      }),
    );
    const redirected: string[] = [];
    let error: unknown;
    [...batches.values()].forEach(({ channels: batch }, i) => {
      const result = results[i];
      if (result.status === 'fulfilled') return;
      if (!isRedirection(result.reason)) throw result.reason;
      redirected.push(...batch);
      error = result.reason;
    });
    return redirected.length === 0 ? null : { channels: redirected, error };
  }

  async unsubscribe(channel: string): Promise<void> {
    const master = this.routes.get(channel);
    this.routes.delete(channel);
    const connection = master === undefined ? undefined : this.masters.get(master);
    if (connection?.status !== 'ready') return;
    await (this.sharded ? connection.sunsubscribe(channel) : connection.unsubscribe(channel));
  }

  /** Each master answers after the messages it pushed before (see the transport's `barrier`). */
  async ping(): Promise<void> {
    await Promise.all([...this.masters.values()].map((connection) => connection.ping()));
  }

  async quit(): Promise<void> {
    this.end();
    await Promise.all(
      [...this.masters.values()].map((connection) => connection.quit().catch(() => undefined)),
    );
  }

  disconnect(): void {
    this.end();
    for (const connection of this.masters.values()) connection.disconnect();
  }

  private end(): void {
    this.ended = true;
    this.status = 'end';
    this.stopRefreshing();
  }

  private stopRefreshing(): void {
    if (this.refreshing) clearInterval(this.refreshing);
    this.refreshing = null;
  }

  private routeOf(channel: string): string | undefined {
    return this.owners[this.sharded ? keySlot(channel) : 0];
  }

  /**
   * Whether this subscriber's connection to master `node` (`host:port`) is not ready: a publish
   * for that master then waits rather than being written to a node that may be dead (ioredis
   * would reject it as "Connection is closed.", like one in flight).
   */
  masterDown(node: string): boolean {
    return this.masters.get(node)?.status !== 'ready';
  }

  /** The publisher (re)read the slot map: follow its masters. */
  private refresh(): void {
    if (this.ended) return;
    const slots = (this.cluster as unknown as { slots: (string[] | undefined)[] }).slots;
    const owners = Array.from(slots, (nodes) => nodes?.[0]);
    const masters = new Set(owners.filter((node): node is string => node !== undefined));
    if (masters.size === 0) return;
    this.owners = owners;
    for (const [master, connection] of this.masters) {
      if (masters.has(master)) continue;
      this.masters.delete(master);
      connection.disconnect();
    }
    for (const master of masters) if (!this.masters.has(master)) this.connect(master);
    let moved = false;
    for (const [channel, master] of this.routes) {
      const now = this.routeOf(channel);
      if (now === master || now === undefined) continue;
      moved = true;
      this.routes.set(channel, now); // the transport subscribes it there at the next `ready`
    }
    if (moved) this.lost();
    this.resolveKnown();
    this.checkReady();
  }

  private connect(master: string): void {
    const at = master.lastIndexOf(':');
    const own = this.cluster.options.redisOptions ?? {};
    const connection = new this.Redis({
      ...own,
      host: master.slice(0, at),
      port: Number(master.slice(at + 1)),
      lazyConnect: false,
      readOnly: false,
      autoResubscribe: false,
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: true,
      retryStrategy: (times: number) => Math.min(RETRY_STEP_MS * times, RETRY_CAP_MS),
    });
    this.masters.set(master, connection);
    const current = () => this.masters.get(master) === connection && !this.ended;
    connection.on('ready', () => current() && this.checkReady());
    connection.on('close', () => current() && this.lost());
    connection.on('error', (error: Error) => current() && this.emit('error', error));
    // The master dropped our shard channels of a slot it gave away: read the slot map now, so
    // the move is followed (`refresh`) without waiting for a command of the publisher's.
    // If our subscriptions are gone (not a subscription redirected, which also says 'moved'),
    // the transport subscribes them again where the slot map says, as after a lost connection.
    connection.on('moved', () => {
      if (!current()) return;
      if (this.dropped(master, connection)) this.lost();
      this.cluster.refreshSlotsCache(() => undefined);
    });
    for (const event of ['smessageBuffer', 'messageBuffer'])
      connection.on(event, (channel: Buffer, message: Buffer) =>
        this.emit('messageBuffer', channel, message),
      );
  }

  /**
   * Whether `connection` (to `master`) no longer holds a channel subscribed on it; such channels are
   * forgotten (subscribed nowhere), so the redirections of their next subscription, which say
   * 'moved' too, are not taken for another drop.
   */
  private dropped(master: string, connection: Redis): boolean {
    const { condition } = connection as unknown as { condition?: { subscriber?: Subscriptions } };
    if (!condition) return true; // the client does not say: assume the worst
    const held = new Set(
      condition.subscriber
        ? condition.subscriber.channels(this.sharded ? 'ssubscribe' : 'subscribe')
        : [],
    );
    let dropped = false;
    for (const [channel, at] of this.routes)
      if (at === master && !held.has(channel)) {
        this.routes.delete(channel);
        dropped = true;
      }
    return dropped;
  }

  /**
   * A master connection closed (or a channel's owner changed). The publisher reads the slot map
   * again only when a command of its own is redirected; the subscriber asks for it until all its
   * masters are back, so a replica that took over is found without a publish.
   */
  private lost(): void {
    this.status = 'connecting';
    this.refreshing ??= setInterval(
      () => this.cluster.refreshSlotsCache(() => undefined),
      REFRESH_EVERY_MS,
    ).unref();
    this.emit('close');
  }

  private checkReady(): void {
    if (this.status === 'ready' || this.owners.length === 0) return;
    for (const connection of this.masters.values()) if (connection.status !== 'ready') return;
    this.status = 'ready';
    this.stopRefreshing();
    this.emit('ready');
  }
}
