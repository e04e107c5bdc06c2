import type { Cluster } from 'ioredis';
import { describeError, type SseLogger } from '../../connection/index.js';
import {
  keepsHistory,
  type HistoryOptions,
  type HistoryQuery,
} from '../history/history-options.js';
import type {
  LocalPresence,
  SseTransport,
  TransportEvents,
  TransportPublishOptions,
  TransportSink,
  TransportState,
} from '../sse-transport.js';
import {
  SseSubscribeError,
  SseTransportError,
  type SseTransportErrorClass,
} from '../transport-errors.js';
import { RedisClock } from './redis-clock.js';
import { RedisConnections } from './redis-connections.js';
import type { RedisClusterSubscriber } from './redis-cluster-subscriber.js';
import { ProbeKeys } from './redis-probe-keys.js';
import { installClusterPublish, isClusterConfig, usesShardedPubSub } from './redis-cluster.js';
import { RedisHealthProbe, refusesWrites } from './redis-health.js';
import {
  RedisPublishes,
  wasNotWritten,
  type LivePublish,
  type PublishSend,
} from './redis-publishes.js';
import { RedisHistory, historyCountersOf } from './redis-history.js';
import { RedisPresence, presenceTiming } from './redis-presence.js';
import { decodeRedisMessage, encodeRedisMessage } from './redis-message.codec.js';
import type { RedisTransportOptions } from './redis-transport-options.js';
import { redisChannelOf } from './redis-channel-of.js';
import { parseEventId } from '../history/event-id.js';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';

/** How soon a resubscription that failed is tried again (the subscriber still connected). */
const RESUBSCRIBE_RETRY_MS = 500;

/**
 * Redis pub/sub: one Redis channel per SSE channel (`<prefix><channel>`), subscribed while this
 * process has a member in it. A process delivers its own publishes only from Redis's echo, so
 * every process sees every channel's events in the same order, exactly once.
 */
export class RedisTransport implements SseTransport {
  private connections!: RedisConnections;
  private publishes!: RedisPublishes;
  private probe!: RedisHealthProbe;
  private sink: TransportSink | null = null;
  private events: TransportEvents | undefined;
  /** The subscriber broke since it last subscribed: the next resubscription is a catch-up. */
  private interrupted = false;
  private subscribedOnce = false;
  /** Counts resubscriptions: an earlier one still retrying gives way to a later one. */
  private resubscriptions = 0;
  private logger!: SseLogger;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly store: RedisHistory | null;
  private readonly presence: RedisPresence | null;
  private readonly live = new Set<string>();
  /**
   * The SSE channel of each live channel's Redis channel name, keyed by the name's bytes as
   * latin1: a received channel name is looked up without decoding it as UTF-8.
   */
  private readonly names = new Map<string, string>();
  private readonly garbageLogged = new Set<string>();
  /** How the publisher sends a live-only publish (set when it is created). */
  private livePublish!: LivePublish;

  constructor(
    private readonly config: RedisTransportOptions = {},
    private readonly historyOptions?: HistoryOptions,
  ) {
    this.prefix = config.channelPrefix ?? 'sse:';
    this.timeoutMs = config.publishTimeout ?? 5000;
    const clustered = isClusterConfig(config);
    const counters = historyCountersOf(config, clustered);
    this.store = historyOptions
      ? new RedisHistory(this.prefix, historyOptions, counters, clustered)
      : null;
    const timing = presenceTiming(config.presence);
    this.presence = timing
      ? new RedisPresence(this.prefix, timing, () => this.connections.publisher)
      : null;
  }

  get state(): TransportState {
    return this.connections?.state ?? 'down';
  }

  async start(sink: TransportSink, logger: SseLogger, events?: TransportEvents): Promise<void> {
    this.sink = sink;
    this.events = events;
    this.logger = logger;
    const connections = new RedisConnections(this.config, this.timeoutMs, logger, !!this.store);
    this.connections = connections;
    const clock = new RedisClock();
    this.publishes = new RedisPublishes(
      connections,
      clock,
      this.timeoutMs,
      this.config.maxPendingPublishes ?? 1000,
      {
        refused: (error) => {
          if (refusesWrites(error))
            connections.setHealthProblem(
              BROADCAST_MESSAGES.redisWritesRefused(describeError(error).message),
            );
        },
        published: (id) => this.store?.noteSeen(parseEventId(id)),
        slotMoved: () => (connections.publisher as unknown as Cluster).refreshSlotsCache(),
        masterDown: (node) =>
          (connections.subscriber as unknown as Partial<RedisClusterSubscriber>).masterDown?.(
            node,
          ) ?? false,
      },
      isClusterConfig(this.config),
    );
    const probeKeys = new ProbeKeys(this.prefix);
    this.probe = new RedisHealthProbe(
      () => connections.publisher,
      () => probeKeys.of(connections.publisher),
      clock,
      (problem) => connections.setHealthProblem(problem),
    );
    await connections.open({
      created: (publisher, subscriber) => {
        this.store?.install(
          publisher,
          isClusterConfig(this.config) && usesShardedPubSub(this.config, true),
        );
        this.livePublish = installClusterPublish(
          publisher,
          usesShardedPubSub(this.config, !!this.store),
          RedisPublishes.install(publisher),
        );
        RedisHealthProbe.install(publisher);
        RedisPresence.install(publisher);
        publisher.on('ready', () => this.publishes.publisherReady(publisher));
        publisher.on('close', () => {
          this.probe.forget();
          this.publishes.publisherClosed();
        });
        subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) =>
          this.onMessage(channel, message),
        );
      },
      subscriberReady: () => this.resubscribe(),
      subscriberLost: () => {
        if (this.interrupted || !this.subscribedOnce) return;
        this.interrupted = true;
        this.events?.interrupted();
      },
      liveChannels: () => this.live.size,
    });
    this.probe.start();
  }

  /**
   * While the publisher is reconnecting, a publish waits for it (in publish order) up to
   * `publishTimeout`, then rejects and is never sent. A sent publish carries its deadline into
   * Redis, which drops it if it runs later (Redis hung), so a rejected publish is never delivered
   * nor stored later — except `outcome: 'unknown'` (the connection closed while it was in flight).
   */
  publish(
    channel: string,
    body: Buffer,
    options: TransportPublishOptions = {},
  ): Promise<string | undefined> {
    const store = options.history !== false && this.keepsHistory(channel) ? this.store : null;
    const send: PublishSend = store
      ? (deadline) => store.publishMessage(channel, body, options.except, deadline)
      : (deadline) =>
          this.livePublish.message(
            this.redisChannelOf(channel),
            encodeRedisMessage(body, options.except),
            deadline,
          );
    return this.publishes.publish(`publish to "${channel}"`, send);
  }

  keepsHistory(channel: string): boolean {
    return keepsHistory(this.historyOptions, channel);
  }

  historyCounterOf(channel: string): number | undefined {
    return this.store && this.keepsHistory(channel) ? this.store.counterOf(channel) : undefined;
  }

  historyHead(counter: number | undefined): Promise<string> {
    if (!this.store) return Promise.reject(new SseTransportError('no history'));
    return this.store.head(this.connections.publisher, counter, (read) =>
      this.withTimeout(SseTransportError, read, 'newest history id'),
    );
  }

  history(channel: string, sinceId: string): Promise<HistoryQuery> {
    const store = this.store;
    if (!store) return Promise.resolve({ events: [], gap: true });
    const what = `history of "${channel}"`;
    const deadline = Date.now() + this.timeoutMs;
    const read = () =>
      store.read(this.connections.publisher, channel, sinceId, (operation) =>
        this.withTimeout(SseTransportError, operation, what, deadline),
      );
    // Right after a reconnection (the live catch-up, a client resuming then) the publisher may not
    // be back yet: the read waits for it as a publish does, within the same deadline. A read is
    // idempotent, so one ioredis refused unwritten (the socket had just closed) is made again.
    const whenReady = () => {
      if (this.connections.closed) return Promise.reject(this.closedError(SseTransportError, what));
      return this.withTimeout(SseTransportError, this.connections.publisherReady(), what, deadline);
    };
    const first = this.connections.publisher.status === 'ready' ? read() : whenReady().then(read);
    return first.catch((error: unknown) => {
      const refused = error instanceof Error && wasNotWritten(error.cause ?? error);
      if (!refused || Date.now() >= deadline) throw error;
      return whenReady().then(read);
    });
  }

  /** Redis answers a PING after the messages it pushed before it, on the same connection. */
  async barrier(): Promise<void> {
    const ping = this.connections.subscriber.ping();
    await this.withTimeout(SseTransportError, ping, 'barrier after a history read');
  }

  subscribe(channel: string): Promise<void> {
    this.live.add(channel);
    const name = this.redisChannelOf(channel);
    this.names.set(latin1Of(name), channel);
    const what = `subscribe to "${channel}"`;
    if (this.connections.closed) return Promise.reject(this.closedError(SseSubscribeError, what));
    const subscribed = this.connections.subscriber.subscribe(name);
    return this.withTimeout(SseSubscribeError, subscribed, what).then(() => undefined);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.live.delete(channel);
    this.garbageLogged.delete(channel);
    const name = this.redisChannelOf(channel);
    this.names.delete(latin1Of(name));
    const { subscriber } = this.connections;
    if (subscriber.status !== 'ready') return; // nothing to undo: onReady resubscribes `live` only
    await subscriber.unsubscribe(name);
  }

  /** Flushes this process's counts to Redis every second (see `RedisPresence`). */
  startPresence(local: LocalPresence): void {
    this.presence?.start(local);
  }

  /**
   * Counts from every live process's last flush, this one's live. Rejects at once when the
   * publisher is not connected, and after `publishTimeout` when Redis does not answer.
   */
  globalCount(channel?: string): Promise<number> {
    const what = channel === undefined ? 'global count' : `global count of "${channel}"`;
    if (!this.presence)
      return Promise.reject(new SseTransportError(BROADCAST_MESSAGES.presenceOff));
    if (!this.connections || this.connections.closed)
      return Promise.reject(this.closedError(SseTransportError, what));
    if (this.connections.publisher.status !== 'ready')
      return Promise.reject(new SseTransportError(BROADCAST_MESSAGES.redisNotConnected(what)));
    return this.withTimeout(SseTransportError, this.presence.count(channel), what);
  }

  /** At most `publishTimeout`, even with Redis unreachable; publishes still waiting reject. */
  async close(): Promise<void> {
    this.sink = null;
    this.probe?.stop();
    // This tick's publishes, then the presence leave, before QUIT on the same connection (the
    // other processes stop counting ours at once).
    this.publishes?.flush();
    const left = this.presence?.stop();
    await Promise.all([left, this.connections?.close()]);
  }

  private onMessage(rawChannel: Buffer, message: Buffer): void {
    const channel = this.names.get(rawChannel.toString('latin1'));
    if (channel === undefined) return;
    const decoded = decodeRedisMessage(message);
    if (!decoded) {
      if (!this.garbageLogged.has(channel)) {
        this.garbageLogged.add(channel);
        this.logger.warn(BROADCAST_MESSAGES.garbageOnChannel(rawChannel.toString()));
      }
      return;
    }
    this.store?.noteSeen(decoded.parsedId);
    this.sink?.(channel, decoded.frame, decoded.except, decoded.id, decoded.parsedId);
  }

  /**
   * After a reconnection: subscribes the live channels again, then the hub catches up; resolves
   * once they are subscribed (nothing to wait for: returns nothing). A failure is logged once and
   * tried again every 500 ms while the subscriber stays connected; a later reconnection's
   * resubscription replaces this one.
   */
  private resubscribe(): Promise<void> | void {
    this.subscribedOnce = true;
    const resubscription = ++this.resubscriptions;
    const done = (live: string[]) => {
      if (!this.interrupted) return;
      this.interrupted = false;
      this.events?.resubscribed(live);
    };
    if (this.live.size === 0) return done([]);
    const current = () =>
      resubscription === this.resubscriptions &&
      !this.connections.closed &&
      this.connections.subscriber.status === 'ready';
    return (async () => {
      for (let failures = 0; ; failures++) {
        const live = [...this.live];
        try {
          await this.connections.subscriber.subscribe(
            ...live.map((channel) => this.redisChannelOf(channel)),
          );
          if (current()) done(live);
          return;
        } catch (error) {
          if (failures === 0)
            this.logger.error(BROADCAST_MESSAGES.resubscribeFailed(describeError(error).message));
          await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_RETRY_MS));
          if (!current()) throw error;
        }
      }
    })();
  }

  /** Every Redis channel name goes through `redisChannelOf`. */
  private redisChannelOf(channel: string): string {
    return this.store && this.keepsHistory(channel)
      ? this.store.redisChannelOf(channel)
      : redisChannelOf(this.prefix, channel);
  }

  private timeoutError(kind: SseTransportErrorClass, what: string): SseTransportError {
    return new kind(BROADCAST_MESSAGES.redisTimedOut(what, this.timeoutMs), { timedOut: true });
  }

  private closedError(kind: SseTransportErrorClass, what: string): SseTransportError {
    return new kind(BROADCAST_MESSAGES.redisClosed(what));
  }

  /** `operation`, or a `kind` error at `deadline`; a failure is wrapped in a `kind` error. */
  private withTimeout<T>(
    kind: SseTransportErrorClass,
    operation: Promise<T>,
    what: string,
    deadline = Date.now() + this.timeoutMs,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(this.timeoutError(kind, what)),
        Math.max(0, deadline - Date.now()),
      );
      operation.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(
            error instanceof SseTransportError
              ? error
              : new kind(BROADCAST_MESSAGES.redisFailed(what, describeError(error).message), {
                  cause: error,
                }),
          );
        },
      );
    });
  }
}

/** A name's UTF-8 bytes as latin1 (one character per byte), as a received name is decoded. */
function latin1Of(name: string): string {
  return Buffer.from(name).toString('latin1');
}
