import type { Redis } from 'ioredis';
import { describeError } from '../../connection/index.js';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import { SsePublishError } from '../transport-errors.js';
import type { RedisClock, RedisTime } from './redis-clock.js';
import type { RedisConnections } from './redis-connections.js';
import { PUBLISH_LIVE } from './redis.scripts.js';

/** ioredis's refusal of a command it did not write (offline queue disabled). */
const NOT_WRITTEN = /Stream isn't writeable/;
/** Samples of `TIME` taken to measure the clock offset; the one with the shortest round trip wins. */
const CLOCK_SAMPLES = 3;

/**
 * Sends one publish to Redis, given its deadline on Redis's clock; resolves with what the script
 * returned: 0 when it ran past the deadline and did nothing.
 * @internal
 */
export type PublishSend = (publisher: Redis, deadlineOnRedis: number) => Promise<unknown>;

/** A publish written to Redis and not yet answered. */
interface InFlight {
  lost(): void;
}

/**
 * The publishes of one transport and their deadlines. A publish waits for the publisher (up to
 * `publishTimeout`), then is sent with its deadline, which Redis checks against its own clock: a
 * command Redis runs late (it hung) does nothing. Locally a publish rejects once its deadline plus
 * the clock-offset margin passed, so one that ran in time is never reported as rejected. Only a
 * connection that closes with the publish in flight leaves the outcome `'unknown'`. At most
 * `maxPending` publishes wait at once; the rest reject at once.
 * @internal
 */
export class RedisPublishes {
  private pending = 0;
  private readonly inFlight = new Set<InFlight>();
  private measuring: Promise<void> | null = null;

  constructor(
    private readonly connections: RedisConnections,
    private readonly clock: RedisClock,
    private readonly timeoutMs: number,
    private readonly maxPending: number,
    /** A Redis error reply to a publish (e.g. OOM) that the transport's health should know. */
    private readonly onRefused: (error: unknown) => void,
  ) {}

  /** Makes the live publish script callable on `client`. */
  static install(client: Redis): void {
    client.defineCommand('ssePublishLive', { numberOfKeys: 0, lua: PUBLISH_LIVE });
  }

  /** Sends a live-only message (see `PUBLISH_LIVE`). */
  static live(publisher: Redis, channel: string, message: Buffer, deadline: number) {
    return (publisher as unknown as LiveCommand).ssePublishLive(channel, message, deadline);
  }

  /** The publisher became ready: measure the clock offset now, not at the first publish. */
  publisherReady(publisher: Redis): void {
    this.measureClock(publisher).catch(() => undefined);
  }

  /** Publishes so far written whose connection closed: nobody knows if Redis ran them. */
  publisherClosed(): void {
    this.clock.reset();
    const lost = [...this.inFlight];
    this.inFlight.clear();
    lost.forEach((flight) => flight.lost());
  }

  publish<T>(what: string, send: PublishSend): Promise<T> {
    const error = (message: string, options: ConstructorParameters<typeof SsePublishError>[1]) =>
      new SsePublishError(message, options);
    if (this.connections.closed)
      return Promise.reject(error(BROADCAST_MESSAGES.redisClosed(what), {}));
    if (this.pending >= this.maxPending)
      return Promise.reject(
        error(BROADCAST_MESSAGES.redisTooManyPending(what, this.maxPending), {}),
      );
    this.pending++;
    const deadline = Date.now() + this.timeoutMs;
    const timedOut = () =>
      error(BROADCAST_MESSAGES.redisTimedOut(what, this.timeoutMs), { timedOut: true });
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let released = false;
      /** Written and possibly not answered yet: the clock margin of its deadline, else null. */
      let written: number | null = null;
      const release = () => {
        if (!released) this.pending--;
        released = true;
      };
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        settle();
      };
      const fail = (reason: SsePublishError) => finish(() => reject(reason));
      let timer = setTimeout(() => {
        if (written === null) {
          release();
          return fail(timedOut());
        }
        // Written: Redis may have run it in time (within the clock error) and its answer be on its
        // way. After the margin, and after the I/O already here, it can no longer run in time.
        // The slot stays taken until Redis answers or the connection closes.
        timer = setTimeout(() => setImmediate(() => fail(timedOut())), written);
      }, deadline - Date.now());

      const attempt = async (): Promise<void> => {
        for (;;) {
          // Settled while not in flight (it timed out waiting): its slot is free.
          if (settled) return release();
          if (this.connections.closed) {
            release();
            return fail(error(BROADCAST_MESSAGES.redisClosed(what), {}));
          }
          const { publisher } = this.connections;
          if (publisher.status !== 'ready') await this.connections.publisherReady();
          else if (!this.clock.known)
            await this.measureClock(publisher).catch(() => this.connections.publisherReady());
          else
            return this.write(publisher, send, deadline, what, {
              written: (margin) => (written = margin),
              resent: () => (written = null),
              release,
              resolve: (value) => finish(() => resolve(value as T)),
              fail,
              retry: () => void this.connections.publisherReady().then(attempt),
            });
        }
      };
      void attempt().catch((cause: unknown) => {
        release();
        fail(error(BROADCAST_MESSAGES.redisFailed(what, describeError(cause).message), { cause }));
      });
    });
  }

  private write(
    publisher: Redis,
    send: PublishSend,
    deadline: number,
    what: string,
    on: WriteCallbacks,
  ): void {
    const flight: InFlight = {
      lost: () => {
        on.release();
        on.fail(
          new SsePublishError(BROADCAST_MESSAGES.redisLostInFlight(what), { outcome: 'unknown' }),
        );
      },
    };
    this.inFlight.add(flight);
    on.written(this.clock.marginMs);
    send(publisher, this.clock.toRedis(deadline)).then(
      (result) => {
        if (!this.inFlight.delete(flight)) return;
        on.release();
        if (result !== 0) return on.resolve(result);
        const message = BROADCAST_MESSAGES.redisExpired(what, this.timeoutMs);
        on.fail(new SsePublishError(message, { timedOut: true }));
      },
      (cause: unknown) => {
        if (!this.inFlight.delete(flight)) return;
        const message = describeError(cause).message;
        // Refused before it was written (the socket just died): wait for the reconnection.
        if (NOT_WRITTEN.test(message)) {
          on.resent();
          return on.retry();
        }
        on.release();
        this.onRefused(cause);
        on.fail(new SsePublishError(BROADCAST_MESSAGES.redisFailed(what, message), { cause }));
      },
    );
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

interface WriteCallbacks {
  /** Sent, with a deadline whose clock error `margin` covers. */
  written(margin: number): void;
  resent(): void;
  release(): void;
  resolve(value: unknown): void;
  fail(reason: SsePublishError): void;
  retry(): void;
}

interface LiveCommand {
  ssePublishLive(channel: string, message: Buffer, deadline: number): Promise<number>;
}
