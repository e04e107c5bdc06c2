import type { Redis } from 'ioredis';
import { describeError } from '../../connection/index.js';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import { SsePublishError } from '../transport-errors.js';
import { DeadlineSweep } from './deadline-sweep.js';
import type { RedisClock, RedisTime } from './redis-clock.js';
import type { RedisConnections } from './redis-connections.js';
import {
  BatchedScript,
  RedisPublishBatch,
  type BatchMessage,
  type BatchReceiver,
} from './redis-publish-batch.js';
import { NOT_LOCAL, PUBLISH_LIVE } from './redis.scripts.js';

/** ioredis's refusal of a command it did not write (offline queue disabled). */
const NOT_WRITTEN = /Stream isn't writeable/;

/** Whether ioredis refused `error`'s command without writing it (the connection was not up). */
export function wasNotWritten(error: unknown): boolean {
  return NOT_WRITTEN.test(describeError(error).message);
}

/**
 * ioredis' rejection of the commands of a connection that closed for good (a cluster's node
 * connection: the cluster makes a new one): written ones may have run.
 */
const CONNECTION_CLOSED = 'Connection is closed.';
/** How long after its deadline a written publish Redis has not answered rejects as 'unknown'. */
const UNANSWERED_MS = 30_000;
/** How often publishes held for a cluster master whose connection is down look again. */
const MASTER_RETRY_MS = 100;
/** Samples of `TIME` taken to measure the clock offset; the one with the shortest round trip wins. */
const CLOCK_SAMPLES = 3;

const NO_KEYS: readonly string[] = [];
/** `PUBLISH_LIVE`, many messages per call. */
const LIVE = new BatchedScript('ssePublishLiveBatch', PUBLISH_LIVE, 0, 3);

/**
 * How a live-only publish is sent: the script the publisher has and the message for it. On one
 * Redis `PUBLISH_LIVE` (no keys, one route); a cluster replaces it (`installClusterPublish`).
 * @internal
 */
export interface LivePublish {
  message(redisChannel: string, message: Buffer, deadline: number): BatchMessage;
}

/** {@link LivePublish} on one Redis. */
const SINGLE_REDIS_LIVE: LivePublish = {
  message: (channel, message, deadline) => ({
    script: LIVE,
    keys: NO_KEYS,
    args: [channel, message, deadline],
  }),
};

/** What the transport learns of its publishes, and asks about a cluster. @internal */
export interface PublishHooks {
  /** A Redis error reply to a publish (e.g. OOM) that the transport's health should know. */
  refused(error: unknown): void;
  /** A publish resolved with this id. */
  published?(id: string): void;
  /** A cluster node answered {@link NOT_LOCAL}: the client's slot map is stale. */
  slotMoved?(): void;
  /** Whether the connection to cluster master `node` (`host:port`) is down. */
  masterDown?(node: string): boolean;
}

/**
 * One publish as sent to Redis, given its deadline on Redis's clock: a message for a
 * {@link BatchedScript} whose result is 0 when it ran past the deadline and did nothing, else an
 * id (a string, resolved) or any other value (resolved as `undefined`).
 * @internal
 */
export type PublishSend = (deadlineOnRedis: number) => BatchMessage;

/**
 * The publishes of one transport and their deadlines. A publish waits for the publisher (up to
 * `publishTimeout`), then is sent with its deadline, which Redis checks against its own clock: a
 * command Redis runs late (it hung) does nothing. A publish not yet written rejects at its
 * deadline; a written one settles on Redis's answer (0: it ran late and did nothing), so one that
 * ran in time is never reported as rejected. Only a connection that closes with the publish in
 * flight, or a Redis that has not answered 30 s past the deadline, leaves the outcome `'unknown'`.
 * At most
 * `maxPending` publishes wait at once; the rest reject at once. What a tick publishes goes in one
 * script call (`redis-publish-batch.ts`); one shared timer watches every deadline. On a cluster a
 * publish for a master this worker cannot reach is held, unwritten and in order, until it can or
 * its deadline passes: written to a dead node, ioredis would fail it like one in flight.
 * @internal
 */
export class RedisPublishes {
  private pending = 0;
  private readonly inFlight = new Set<PendingPublish>();
  private measuring: Promise<void> | null = null;
  private readonly batch: RedisPublishBatch;
  private readonly deadlines = new DeadlineSweep<PendingPublish>((publish) =>
    this.deadlinePassed(publish),
  );

  /** Publishes held while their cluster master's connection is down, per master, in order. */
  private readonly held = new Map<string, PendingPublish[]>();

  constructor(
    private readonly connections: RedisConnections,
    private readonly clock: RedisClock,
    private readonly timeoutMs: number,
    private readonly maxPending: number,
    private readonly hooks: PublishHooks,
    /** A cluster: a route's next call waits for its previous one (see {@link RedisPublishBatch}). */
    clustered = false,
  ) {
    this.batch = new RedisPublishBatch(clustered);
  }

  /** Makes the live publish script callable on `client`; returns how to publish live with it. */
  static install(client: Redis): LivePublish {
    LIVE.install(client);
    return SINGLE_REDIS_LIVE;
  }

  /** The publisher became ready: measure the clock offset now, not at the first publish. */
  publisherReady(publisher: Redis): void {
    this.measureClock(publisher).catch(() => undefined);
  }

  /** Writes the publishes of this tick now: the transport closes, they go before its `QUIT`. */
  flush(): void {
    this.batch.flush(true);
  }

  /** Publishes so far written whose connection closed: nobody knows if Redis ran them. */
  publisherClosed(): void {
    this.clock.reset();
    const lost = [...this.inFlight];
    this.inFlight.clear();
    for (const publish of lost) {
      this.release(publish);
      this.fail(
        publish,
        new SsePublishError(BROADCAST_MESSAGES.redisLostInFlight(publish.what), {
          outcome: 'unknown',
        }),
      );
    }
  }

  /** Sends `send`'s message; `what` names the publish in errors (`publish to "<channel>"`). */
  publish(what: string, send: PublishSend): Promise<string | undefined> {
    if (this.connections.closed)
      return Promise.reject(new SsePublishError(BROADCAST_MESSAGES.redisClosed(what), {}));
    if (this.pending >= this.maxPending)
      return Promise.reject(
        new SsePublishError(BROADCAST_MESSAGES.redisTooManyPending(what, this.maxPending), {}),
      );
    this.pending++;
    const publish = new PendingPublish(this, what, Date.now() + this.timeoutMs, send);
    const promise = new Promise<string | undefined>((resolve, reject) => {
      publish.resolve = resolve;
      publish.reject = reject;
    });
    this.deadlines.add(publish);
    this.attempt(publish);
    return promise;
  }

  /** Sends `publish` once the publisher is ready and the clock offset known. */
  private attempt(publish: PendingPublish): void {
    try {
      // Settled while not in flight (it timed out waiting): its slot is free.
      if (publish.settled) return this.release(publish);
      if (this.connections.closed) {
        this.release(publish);
        return this.fail(
          publish,
          new SsePublishError(BROADCAST_MESSAGES.redisClosed(publish.what), {}),
        );
      }
      const { publisher } = this.connections;
      const again = () => this.attempt(publish);
      if (publisher.status !== 'ready') void this.connections.publisherReady().then(again);
      else if (!this.clock.known)
        void this.measureClock(publisher)
          .catch(() => this.connections.publisherReady())
          .then(again);
      else {
        const message = publish.send(this.clock.toRedis(publish.deadline));
        publish.node = message.node;
        if (this.heldBack(publish)) return;
        this.batch.add(publisher, message, publish);
      }
    } catch (cause) {
      this.inFlight.delete(publish);
      this.release(publish);
      this.fail(publish, this.failed(publish.what, cause));
    }
  }

  /**
   * Whether `publish` is held back rather than written: never while its master is down (its
   * deadline rejects it, 'not-sent'), and behind the publishes held before it, so their order holds.
   */
  private heldBack(publish: PendingPublish): boolean {
    const { node } = publish;
    if (node === undefined || !(this.held.has(node) || this.hooks.masterDown?.(node))) return false;
    this.hold(node, publish);
    return true;
  }

  /** `publish`'s call is about to be written: whether it goes in it (see {@link BatchReceiver}). */
  writing(publish: PendingPublish): boolean {
    if (publish.settled) {
      this.release(publish);
      return false;
    }
    // Waited behind an earlier call of its route (a cluster) while its master went down.
    if (this.heldBack(publish)) return false;
    this.inFlight.add(publish);
    publish.written = this.clock.marginMs;
    return true;
  }

  /** Holds `publish` until its master's connection may be back (looked at every 100 ms). */
  private hold(node: string, publish: PendingPublish): void {
    let queue = this.held.get(node);
    if (!queue) {
      this.held.set(node, (queue = []));
      setTimeout(() => this.releaseHeld(node), MASTER_RETRY_MS).unref();
    }
    queue.push(publish);
  }

  /** Tries the held publishes again, in order: the first still held holds the rest again. */
  private releaseHeld(node: string): void {
    const queue = this.held.get(node) ?? [];
    this.held.delete(node);
    for (const publish of queue) this.attempt(publish);
  }

  /** Redis's answer to a written publish (or the error of its call). */
  answered(publish: PendingPublish, error: unknown, result: unknown): void {
    if (!this.inFlight.delete(publish)) return;
    if (error) {
      // Refused before it was written (the socket just died): wait for the reconnection.
      if (wasNotWritten(error)) {
        publish.written = null;
        void this.connections.publisherReady().then(() => this.attempt(publish));
        return;
      }
      this.release(publish);
      if (describeError(error).message === CONNECTION_CLOSED)
        return this.fail(
          publish,
          new SsePublishError(BROADCAST_MESSAGES.redisLostInFlight(publish.what), {
            cause: error,
            outcome: 'unknown',
          }),
        );
      this.hooks.refused(error);
      return this.fail(publish, this.failed(publish.what, error));
    }
    this.release(publish);
    if (result === 0) {
      const message = BROADCAST_MESSAGES.redisExpired(publish.what, this.timeoutMs);
      return this.fail(publish, new SsePublishError(message, { timedOut: true }));
    }
    if (result === NOT_LOCAL) {
      this.hooks.slotMoved?.();
      return this.fail(
        publish,
        new SsePublishError(BROADCAST_MESSAGES.redisSlotMoved(publish.what)),
      );
    }
    if (publish.settled) return;
    const id = typeof result === 'string' ? result : undefined;
    if (id !== undefined) this.hooks.published?.(id);
    this.finish(publish);
    publish.resolve(id);
  }

  private deadlinePassed(publish: PendingPublish): void {
    const timedOut = () =>
      new SsePublishError(BROADCAST_MESSAGES.redisTimedOut(publish.what, this.timeoutMs), {
        timedOut: true,
      });
    if (publish.written === null) {
      this.release(publish);
      return this.fail(publish, timedOut());
    }
    // Written: Redis may have run it in time and be unable to answer yet (it ran just before
    // Redis hung: replies wait behind a DEBUG SLEEP). Only Redis's answer tells — 0: it ran late
    // and did nothing, so the publish rejects then, as not sent. Without an answer long after the
    // deadline (Redis frozen), it rejects as `'unknown'`. The slot stays taken until Redis
    // answers or the connection closes.
    publish.late = setTimeout(
      () =>
        setImmediate(() =>
          this.fail(
            publish,
            new SsePublishError(BROADCAST_MESSAGES.redisUnanswered(publish.what, UNANSWERED_MS), {
              timedOut: true,
              outcome: 'unknown',
            }),
          ),
        ),
      publish.written + UNANSWERED_MS,
    );
  }

  private failed(what: string, cause: unknown): SsePublishError {
    return new SsePublishError(BROADCAST_MESSAGES.redisFailed(what, describeError(cause).message), {
      cause,
    });
  }

  private release(publish: PendingPublish): void {
    if (!publish.released) this.pending--;
    publish.released = true;
  }

  private fail(publish: PendingPublish, reason: SsePublishError): void {
    if (publish.settled) return;
    this.finish(publish);
    publish.reject(reason);
  }

  private finish(publish: PendingPublish): void {
    publish.settled = true;
    if (publish.late) clearTimeout(publish.late);
    this.deadlines.settled();
  }

  /** Measures the clock offset (once for all publishes waiting for it). */
  private measureClock(publisher: Redis): Promise<void> {
    return (this.measuring ??= (async () => {
      try {
        for (let sample = 0; sample < CLOCK_SAMPLES; sample++) {
          const sentAt = Date.now();
          const time = (await publisher.time()) as unknown as RedisTime;
          this.clock.record(time, sentAt, Date.now());
        }
      } finally {
        this.measuring = null;
      }
    })());
  }
}

/** One publish from its call until it settles. */
class PendingPublish implements BatchReceiver {
  settled = false;
  /** Its slot among the `maxPending` was given back. */
  released = false;
  /** Written and possibly not answered yet: the clock margin of its deadline, else null. */
  written: number | null = null;
  /** The timer of the margin after the deadline, while written and unanswered. */
  late: NodeJS.Timeout | null = null;
  /** On a cluster: the master its message goes to. */
  node: string | undefined;
  resolve!: (id: string | undefined) => void;
  reject!: (reason: SsePublishError) => void;

  constructor(
    private readonly owner: RedisPublishes,
    readonly what: string,
    readonly deadline: number,
    readonly send: PublishSend,
  ) {}

  writing(): boolean {
    return this.owner.writing(this);
  }

  answered(error: unknown, result?: unknown): void {
    this.owner.answered(this, error, result);
  }
}
