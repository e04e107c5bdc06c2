import type { Redis, RedisOptions } from 'ioredis';
import type { SseLogger } from '../../connection/index.js';
import type { TransportState } from '../sse-transport.js';
import { SseConnectError } from '../transport-errors.js';
import { loadIoredis } from './load-ioredis.js';
import { restartWhenEnded, sentinelDefaults } from './redis-sentinel.js';
import {
  clusterNodeMessage,
  isClusterConfig,
  isClusterNode,
  openCluster,
  usesShardedPubSub,
} from './redis-cluster.js';
import { diagnoseStartup, type StartupDiagnosis } from './redis-startup-diagnosis.js';
import { describeConnectionError, refusalOf, type Refusal } from './redis-connect-refusal.js';
import type { RedisClient, RedisTransportOptions } from './redis-transport-options.js';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';

/** What the transport does at its connections' events. @internal */
export interface ConnectionHooks {
  /** Both connections exist (not yet connected): define commands, listen for messages. */
  created(publisher: Redis, subscriber: Redis): void;
  /**
   * The subscriber (re)connected: subscribe to the live channels. The subscriber counts as up once
   * the returned promise resolves (at once when it returns nothing).
   */
  subscriberReady(): Promise<void> | void;
  /** The subscriber's connection closed: messages may be missed until it is back. */
  subscriberLost(): void;
  liveChannels(): number;
}

/**
 * The transport's two Redis connections and their health: a publisher that queues and resends
 * nothing on its own (a publish waits for `ready` itself, bounded by its deadline, so one that
 * rejected is never sent later), and a subscriber whose resubscription is ours, so it is logged.
 * An outage is logged once when it starts and once when both are back.
 * @internal
 */
export class RedisConnections {
  publisher!: Redis;
  subscriber!: Redis;
  private publisherUp = false;
  private subscriberUp = false;
  /** Counts the subscriber's `ready`s and `close`s: a resubscription of an earlier one is stale. */
  private subscriberReadiness = 0;
  private outage = false;
  /** A `failFast` startup is waiting: its outcome (up, or the error it throws) tells it all. */
  private startingQuietly = false;
  /** What the health probe (or a refused write) found wrong while both connections are up. */
  private healthProblem: string | null = null;
  private liveChannels: () => number = () => 0;
  private closing = false;
  private ready: Promise<void> | null = null;
  /** Wakes the publishes waiting for the publisher (it became ready, or the transport closed). */
  private wakeWaiting: (() => void) | null = null;

  constructor(
    private readonly config: RedisTransportOptions,
    private readonly timeoutMs: number,
    private readonly logger: SseLogger,
    /** Whether the transport keeps history. */
    private readonly withHistory = false,
  ) {}

  get state(): TransportState {
    return this.publisherUp && this.subscriberUp && !this.healthProblem ? 'up' : 'down';
  }

  /**
   * Redis hangs or refuses writes (`problem`), or answers and accepts writes again (`null`).
   * Logged once each way, like a lost connection (one outage, whatever its causes).
   */
  setHealthProblem(problem: string | null): void {
    if (this.closing) return;
    this.healthProblem = problem;
    if (problem) {
      if (this.outage) return;
      this.outage = true;
      this.logger.warn(problem);
    } else if (this.outage && this.state === 'up') {
      this.outage = false;
      this.logger.log(BROADCAST_MESSAGES.redisHealthUp);
    }
  }

  get closed(): boolean {
    return this.closing;
  }

  /** Opens both; `hooks.subscriberReady` runs at each (re)connection of the subscriber. */
  async open(hooks: ConnectionHooks): Promise<void> {
    const publisherOptions: RedisOptions = {
      lazyConnect: false,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
    };
    const clustered = isClusterConfig(this.config);
    if (clustered) {
      const cluster = await openCluster(
        this.config,
        await loadIoredis(),
        usesShardedPubSub(this.config, this.withHistory),
      );
      this.publisher = cluster.publisher;
      this.subscriber = cluster.subscriber;
    } else if (this.config.client) {
      const { client } = this.config as { client: RedisClient };
      const own = (client as { options?: RedisOptions }).options;
      this.publisher = client.duplicate({
        ...sentinelDefaults(own),
        ...publisherOptions,
      }) as Redis;
    } else {
      const Redis = await loadIoredis();
      const options: RedisOptions = {
        ...this.config.options,
        ...sentinelDefaults(this.config.options),
        ...publisherOptions,
      };
      this.publisher = this.config.url ? new Redis(this.config.url, options) : new Redis(options);
    }
    this.subscriber ??= this.publisher.duplicate({
      autoResubscribe: false,
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: true,
    });
    hooks.created(this.publisher, this.subscriber);
    this.liveChannels = hooks.liveChannels;
    for (const client of [this.publisher, this.subscriber])
      restartWhenEnded(client, () => this.closing);
    this.publisherUp = this.publisher.status === 'ready';
    this.watch(this.publisher, 'publisher', (up) => (this.publisherUp = up), hooks);
    this.watch(this.subscriber, 'subscriber', (up) => (this.subscriberUp = up), hooks);
    if (this.config.failFast) {
      this.startingQuietly = true;
      try {
        await this.connected();
      } finally {
        this.startingQuietly = false;
      }
      if (this.state === 'up') this.outage = false;
    } else this.explainStartupFailure();
    if (!clustered) await this.refuseClusterNode();
  }

  /** Resolves when the publisher is ready, or when the transport closes. */
  publisherReady(): Promise<void> {
    return (this.ready ??= new Promise<void>((resolve) => {
      const wake = () => {
        this.publisher.off('ready', wake);
        this.ready = null;
        this.wakeWaiting = null;
        resolve();
      };
      this.wakeWaiting = wake;
      this.publisher.once('ready', wake);
    }));
  }

  /** Redis not reached at startup: logs once what the network says about it, if it says more. */
  private explainStartupFailure(): void {
    const publisher = this.publisher;
    const explain = () => {
      publisher.off('ready', reached);
      void this.diagnose().then((diagnosis) => {
        if (diagnosis && !this.closing && !this.publisherUp)
          this.logger.error(BROADCAST_MESSAGES.redisNotReached(diagnosis.detail));
      });
    };
    const reached = () => publisher.off('close', explain);
    publisher.once('close', explain);
    publisher.once('ready', reached);
  }

  private diagnose(): Promise<StartupDiagnosis | null> {
    return diagnoseStartup(
      this.config,
      this.publisher,
      Math.min(this.timeoutMs, DIAGNOSIS_TIMEOUT_MS),
    );
  }

  /**
   * Quits both connections; takes at most the timeout, even with Redis unreachable (a
   * reconnecting connection is dropped at once). Publishes still waiting for Redis are woken.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.wakeWaiting?.();
    await Promise.all([this.quit(this.subscriber), this.quit(this.publisher)]);
  }

  /**
   * `url`/`options` must not lead to a cluster node: startup waits for the first connection (at
   * most a second) to ask, and fails if it is one; a Redis reached only later is asked then, and
   * logged as an error.
   */
  private async refuseClusterNode(): Promise<void> {
    const clusterNode = await isClusterNode(this.publisher, Math.min(this.timeoutMs, 1000));
    if (clusterNode === null) {
      this.publisher.once('ready', () => {
        void isClusterNode(this.publisher, 0).then((late) => {
          if (late && !this.closing) this.logger.error(clusterNodeMessage(this.publisher));
        });
      });
      return;
    }
    if (!clusterNode) return;
    const message = clusterNodeMessage(this.publisher);
    await this.close();
    throw new SseConnectError(message);
  }

  /** Waits until both connections are ready, up to the timeout; else closes and rejects. */
  private async connected(): Promise<void> {
    let lastError: Error | undefined;
    let refuse: (kind: Refusal) => void = () => undefined;
    const refused = new Promise<Refusal>((resolve) => (refuse = resolve));
    const noteError = (error: Error) => {
      const refusal = refusalOf(error);
      lastError = refusal?.error ?? error;
      if (refusal) refuse(refusal.kind);
    };
    const clients = [this.publisher, this.subscriber];
    clients.forEach((client) => client.on('error', noteError));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.timeoutMs);
    });
    const ready = Promise.all(clients.map(whenReady)).then(() => true);
    let outcome: boolean | Refusal;
    try {
      outcome = await Promise.race([ready, timedOut, refused]);
      if (outcome === true) return;
    } finally {
      clearTimeout(timer);
      clients.forEach((client) => client.off('error', noteError));
    }
    await this.close();
    const refusal = outcome === false ? null : outcome;
    // The publisher is closed by now, but its options (the address) are still there.
    const diagnosis = refusal ? null : await this.diagnose();
    const own = lastError ? describeConnectionError(lastError).replace(/\.$/, '') : '';
    const described = diagnosis?.replacesError
      ? diagnosis.detail
      : [own, diagnosis?.detail].filter(Boolean).join('; ');
    const why = described ? `: ${described}` : '';
    const message =
      refusal === 'login'
        ? BROADCAST_MESSAGES.redisLoginRefused(why)
        : refusal === 'certificate'
          ? BROADCAST_MESSAGES.redisCertificateRefused(why)
          : BROADCAST_MESSAGES.redisConnectFailed(this.timeoutMs, why);
    throw new SseConnectError(message, { cause: lastError, timedOut: !refusal });
  }

  /**
   * `QUIT` on a ready connection (Redis answers what it received first), bounded by the timeout.
   * Any other connection is dropped at once: its `QUIT` would wait behind its offline queue until
   * ioredis gives up reconnecting (about a minute).
   */
  private async quit(client: Redis | undefined): Promise<void> {
    if (!client || client.status === 'end') return;
    if (client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.timeoutMs);
      });
      const quitted = client.quit().then(
        () => true,
        () => false,
      );
      await Promise.race([quitted, gaveUp]);
      clearTimeout(timer);
    }
    // A connection dropped mid-handshake may still get the server's TLS alert, on a socket ioredis
    // no longer listens to: unheard, that `error` would crash the process.
    (client as { stream?: NodeJS.EventEmitter }).stream?.on('error', () => undefined);
    // Also after a `QUIT`: only this closes the connector, and with it the failover detector's
    // connections to the sentinels, which would otherwise keep the process alive.
    client.disconnect();
  }

  private watch(
    client: Redis,
    role: string,
    setUp: (up: boolean) => void,
    hooks: ConnectionHooks,
  ): void {
    const becameUp = () => {
      setUp(true);
      if (this.outage && this.state === 'up') {
        this.outage = false;
        if (!this.startingQuietly) this.logger.log(BROADCAST_MESSAGES.redisUp(this.liveChannels()));
      }
    };
    client.on('ready', () => {
      if (client !== this.subscriber) return becameUp();
      // Up only once its channels are subscribed again: until then, events may be missed.
      const readiness = ++this.subscriberReadiness;
      const subscribed = hooks.subscriberReady();
      if (!subscribed) return becameUp();
      subscribed.then(
        () => readiness === this.subscriberReadiness && !this.closing && becameUp(),
        () => undefined, // logged by the transport; a later `ready` tries again
      );
    });
    client.on('error', (error: Error) => {
      if (this.closing) return;
      if (!this.outage && !this.startingQuietly)
        this.logger.error(
          BROADCAST_MESSAGES.redisConnectionFailed(role, describeConnectionError(error)),
        );
      this.markDown();
    });
    client.on('close', () => {
      setUp(false);
      if (client === this.subscriber) this.subscriberReadiness++;
      // A new connection gets probed afresh; until then, being disconnected says it all.
      if (client === this.publisher) this.healthProblem = null;
      // A cluster lost a master: up again only once every master answered a probe (the
      // subscriber's connections may be back before the publisher's, which would flap).
      if (client === this.subscriber && isClusterConfig(this.config))
        this.healthProblem = BROADCAST_MESSAGES.redisAwaitingProbe;
      if (this.closing) return;
      if (client === this.subscriber) hooks.subscriberLost();
      this.markDown();
    });
  }

  private markDown(): void {
    if (this.outage) return;
    this.outage = true;
    if (!this.startingQuietly) this.logger.warn(BROADCAST_MESSAGES.redisDown);
  }
}

function whenReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => client.once('ready', () => resolve()));
}

/** How long a connection made to tell why Redis can't be reached may take. */
const DIAGNOSIS_TIMEOUT_MS = 1000;
