import type { Redis, RedisOptions } from 'ioredis';
import { describeError, type SseLogger } from '../connection/index.js';
import { loadIoredis } from './load-ioredis.js';
import { parseEventId } from './history/event-id.js';
import { historyGap, isUnissued } from './history/history-gap.js';
import { keepsHistory, type HistoryOptions, type HistoryQuery } from './history/history-options.js';
import { PUBLISH_WITH_HISTORY, READ_HISTORY } from './history/redis-history.scripts.js';
import type { RedisTransportOptions } from './redis-transport-options.js';
import { decodeRedisMessage, encodeRedisMessage, headerTail } from './redis-message.codec.js';
import type {
  SseTransport,
  TransportPublishOptions,
  TransportSink,
  TransportState,
} from './sse-transport.js';
import {
  SseConnectError,
  SsePublishError,
  SseSubscribeError,
  SseTransportError,
} from './transport-errors.js';

interface HistoryCommands {
  ssePublishWithHistory(...args: (string | Buffer | number)[]): Promise<string>;
  sseReadHistoryBuffer(...args: string[]): Promise<[Buffer, Buffer, [Buffer, Buffer[]][]]>;
}

/** The error class a failed operation is reported with. */
type ErrorClass = new (
  message: string,
  options?: { cause?: unknown; timedOut?: boolean },
) => SseTransportError;

/**
 * Redis pub/sub: one Redis channel per SSE channel (`<prefix><channel>`), subscribed while this
 * process has a member in it. A process delivers its own publishes only from Redis's echo, so
 * every process sees every channel's events in the same order, exactly once.
 */
export class RedisTransport implements SseTransport {
  private publisher!: Redis;
  private subscriber!: Redis;
  private sink: TransportSink | null = null;
  private logger!: SseLogger;
  private readonly prefix: string;
  private readonly publishTimeout: number;
  private readonly live = new Set<string>();
  private readonly garbageLogged = new Set<string>();
  private publisherUp = false;
  private subscriberUp = false;
  private outage = false;
  private closing = false;
  private ready: Promise<void> | null = null;
  /** Wakes the publishes waiting for the publisher (it became ready, or the transport closed). */
  private wakeWaiting: (() => void) | null = null;

  constructor(
    private readonly config: RedisTransportOptions = {},
    private readonly historyOptions?: HistoryOptions,
  ) {
    this.prefix = config.channelPrefix ?? 'sse:';
    this.publishTimeout = config.publishTimeout ?? 5000;
  }

  get state(): TransportState {
    return this.publisherUp && this.subscriberUp ? 'up' : 'down';
  }

  async start(sink: TransportSink, logger: SseLogger): Promise<void> {
    this.sink = sink;
    this.logger = logger;
    // The publisher queues nothing and resends nothing on its own: a publish waits for
    // 'ready' here, bounded by publishTimeout, so one that rejected is never sent later.
    const publisherOptions: RedisOptions = {
      lazyConnect: false,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
    };
    if (this.config.client) {
      this.publisher = this.config.client.duplicate(publisherOptions) as Redis;
    } else {
      const Redis = await loadIoredis();
      const options: RedisOptions = { ...this.config.options, ...publisherOptions };
      this.publisher = this.config.url ? new Redis(this.config.url, options) : new Redis(options);
    }
    this.publisher.defineCommand('ssePublishWithHistory', {
      numberOfKeys: 3,
      lua: PUBLISH_WITH_HISTORY,
    });
    this.publisher.defineCommand('sseReadHistory', { numberOfKeys: 3, lua: READ_HISTORY });
    // Resubscription is ours (see watch), so that it can be logged and counted.
    this.subscriber = this.publisher.duplicate({
      autoResubscribe: false,
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: true,
    });
    this.publisherUp = this.publisher.status === 'ready';
    this.watch(this.publisher, 'publisher', (up) => (this.publisherUp = up));
    this.watch(this.subscriber, 'subscriber', (up) => (this.subscriberUp = up));
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.onMessage(channel, message),
    );
    if (this.config.failFast) await this.connected();
  }

  /** Waits until both connections are ready, up to `publishTimeout`; else closes and rejects. */
  private async connected(): Promise<void> {
    let lastError: Error | undefined;
    const noteError = (error: Error) => (lastError = error);
    const clients = [this.publisher, this.subscriber];
    clients.forEach((client) => client.on('error', noteError));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.publishTimeout);
    });
    const ready = Promise.all(clients.map(whenReady)).then(() => true);
    try {
      if (await Promise.race([ready, timedOut])) return;
    } finally {
      clearTimeout(timer);
      clients.forEach((client) => client.off('error', noteError));
    }
    await this.close();
    const why = lastError ? `: ${describeError(lastError).message}` : '';
    throw new SseConnectError(
      `Redis transport: could not connect to Redis within ${this.publishTimeout} ms (failFast)${why}`,
      { cause: lastError, timedOut: true },
    );
  }

  /**
   * While the publisher is reconnecting, a publish waits for it (in publish order) up to
   * `publishTimeout`, then rejects and is never sent: a rejected publish is not delivered later.
   */
  publish(
    channel: string,
    body: Buffer,
    options: TransportPublishOptions = {},
  ): Promise<string | undefined> {
    const what = `publish to "${channel}"`;
    const deadline = Date.now() + this.publishTimeout;
    const withHistory = options.history !== false && this.keepsHistory(channel);
    const send = (): Promise<string | undefined> =>
      withHistory
        ? (this.publisher as unknown as HistoryCommands).ssePublishWithHistory(
            ...this.historyKeys(channel),
            this.prefix + channel,
            headerTail(options.except),
            body,
            this.historyOptions!.size,
            Math.round((this.historyOptions!.ttl ?? 0) * 1000),
          )
        : this.publisher
            .publish(this.prefix + channel, encodeRedisMessage(body, options.except))
            .then(() => undefined);
    // Past the deadline nothing is sent, so a publish that rejected is never delivered later.
    const attempt = (): Promise<string | undefined> => {
      if (this.closing) return Promise.reject(this.closedError(SsePublishError, what));
      if (Date.now() >= deadline) return Promise.reject(this.timeoutError(SsePublishError, what));
      if (this.publisher.status !== 'ready') return this.publisherReady().then(attempt);
      return send().catch((error: unknown) => {
        // Refused before it was written (the socket just died): wait for the reconnection.
        if (NOT_WRITTEN.test(describeError(error).message))
          return this.publisherReady().then(attempt);
        throw error;
      });
    };
    return this.withTimeout(SsePublishError, attempt(), what, deadline);
  }

  keepsHistory(channel: string): boolean {
    return keepsHistory(this.historyOptions, channel);
  }

  async history(channel: string, sinceId: string): Promise<HistoryQuery> {
    const since = parseEventId(sinceId);
    if (!since) return { events: [], gap: true };
    const read = (this.publisher as unknown as HistoryCommands).sseReadHistoryBuffer(
      ...this.historyKeys(channel),
      sinceId,
    );
    const [newestText, markText, entries] = await this.withTimeout(
      SseTransportError,
      read,
      `history of "${channel}"`,
    );
    const newest = parseEventId(newestText.toString());
    if (isUnissued(since, newest)) return { events: [], gap: true };
    const gap = historyGap({
      since,
      newest,
      trimmedUpTo: parseEventId(markText.toString()),
      ttlMs: (this.historyOptions?.ttl ?? 0) * 1000,
      now: Date.now(),
    });
    return {
      events: entries.map(([id, fields]) => ({ id: id.toString(), frame: fields[1] })),
      gap,
    };
  }

  /** Redis answers a PING after the messages it pushed before it, on the same connection. */
  async barrier(): Promise<void> {
    await this.withTimeout(
      SseTransportError,
      this.subscriber.ping(),
      'barrier after a history read',
    );
  }

  private historyKeys(channel: string): [string, string, string] {
    const base = `${this.prefix}{history}:`;
    return [`${base}seq`, `${base}stream:${channel}`, `${base}trimmed:${channel}`];
  }

  subscribe(channel: string): Promise<void> {
    this.live.add(channel);
    const what = `subscribe to "${channel}"`;
    if (this.closing) return Promise.reject(this.closedError(SseSubscribeError, what));
    return this.withTimeout(
      SseSubscribeError,
      this.subscriber.subscribe(this.prefix + channel),
      what,
    ).then(() => undefined);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.live.delete(channel);
    this.garbageLogged.delete(channel);
    if (this.subscriber.status !== 'ready') return; // nothing to undo: onReady resubscribes `live` only
    await this.subscriber.unsubscribe(this.prefix + channel);
  }

  /**
   * Quits both connections; takes at most `publishTimeout`, even with Redis unreachable (a
   * reconnecting connection is dropped at once). Publishes still waiting for Redis reject.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.sink = null;
    this.wakeWaiting?.();
    await Promise.all([this.quit(this.subscriber), this.quit(this.publisher)]);
  }

  /**
   * `QUIT` on a ready connection (Redis answers what it received first), bounded by
   * `publishTimeout`. Any other connection is dropped at once: its `QUIT` would wait behind its
   * offline queue until ioredis gives up reconnecting (about a minute).
   */
  private async quit(client: Redis | undefined): Promise<void> {
    if (!client || client.status === 'end') return;
    if (client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.publishTimeout);
      });
      const quitted = client.quit().then(
        () => true,
        () => false,
      );
      const done = await Promise.race([quitted, gaveUp]);
      clearTimeout(timer);
      if (done) return;
    }
    client.disconnect();
  }

  private onMessage(rawChannel: Buffer, message: Buffer): void {
    const name = rawChannel.toString();
    if (!name.startsWith(this.prefix)) return;
    const channel = name.slice(this.prefix.length);
    const decoded = decodeRedisMessage(message);
    if (!decoded) {
      if (!this.garbageLogged.has(channel)) {
        this.garbageLogged.add(channel);
        this.logger.warn(
          `Skipped a message on Redis channel "${name}" that is not an SSE frame of this library ` +
            `(another publisher or version?); further ones on this channel are skipped silently`,
        );
      }
      return;
    }
    this.sink?.(channel, decoded.frame, decoded.except, decoded.id);
  }

  private watch(client: Redis, role: string, setUp: (up: boolean) => void): void {
    client.on('ready', () => {
      setUp(true);
      if (role === 'subscriber') this.resubscribe();
      if (this.outage && this.state === 'up') {
        this.outage = false;
        this.logger.log(`Redis transport is up again; resubscribed ${this.live.size} channel(s)`);
      }
    });
    client.on('error', (error: Error) => {
      if (this.closing) return;
      if (!this.outage)
        this.logger.error(`Redis ${role} connection failed: ${describeError(error).message}`);
      this.markDown();
    });
    client.on('close', () => {
      setUp(false);
      if (!this.closing) this.markDown();
    });
  }

  private markDown(): void {
    if (this.outage) return;
    this.outage = true;
    this.logger.warn(
      'Redis transport is down: publishes wait up to publishTimeout, then fail; reconnecting',
    );
  }

  private resubscribe(): void {
    if (this.live.size === 0) return;
    const channels = [...this.live].map((channel) => this.prefix + channel);
    this.subscriber.subscribe(...channels).catch((error: unknown) => {
      this.logger.error(`Resubscribing to Redis channels failed: ${describeError(error).message}`);
    });
  }

  private timeoutError(kind: ErrorClass, what: string): SseTransportError {
    return new kind(
      `Redis transport: ${what} not accepted within ${this.publishTimeout} ms (Redis unreachable?)`,
      { timedOut: true },
    );
  }

  private closedError(kind: ErrorClass, what: string): SseTransportError {
    return new kind(`Redis transport: ${what} refused: the transport is closed`);
  }

  /** Resolves when the publisher is ready, or when the transport closes. */
  private publisherReady(): Promise<void> {
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

  private withTimeout<T>(
    kind: ErrorClass,
    operation: Promise<T>,
    what: string,
    deadline = Date.now() + this.publishTimeout,
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
              : new kind(`Redis transport: ${what} failed: ${describeError(error).message}`, {
                  cause: error,
                }),
          );
        },
      );
    });
  }
}

/** ioredis's refusal of a command it did not write (offline queue disabled). */
const NOT_WRITTEN = /Stream isn't writeable/;

function whenReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => client.once('ready', () => resolve()));
}
