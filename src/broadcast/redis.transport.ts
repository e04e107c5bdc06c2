import type { Redis, RedisOptions } from 'ioredis';
import { describeError, type SseLogger } from '../connection/index.js';
import { loadIoredis } from './load-ioredis.js';
import { parseEventId } from './history/event-id.js';
import { historyGap, isUnissued } from './history/history-gap.js';
import { keepsHistory, type HistoryOptions, type HistoryQuery } from './history/history-options.js';
import { PUBLISH_WITH_HISTORY, READ_HISTORY } from './history/redis-history.scripts.js';
import type { RedisTransportOptions } from './redis-transport-options.js';
import { decodeRedisMessage, encodeRedisMessage, headerTail } from './redis-message.codec.js';
import {
  SsePublishError,
  type SseTransport,
  type TransportPublishOptions,
  type TransportSink,
  type TransportState,
} from './sse-transport.js';

interface HistoryCommands {
  ssePublishWithHistory(...args: (string | Buffer | number)[]): Promise<string>;
  sseReadHistoryBuffer(...args: string[]): Promise<[Buffer, Buffer, [Buffer, Buffer[]][]]>;
}

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
      if (Date.now() >= deadline) return Promise.reject(this.timeoutError(what));
      if (this.publisher.status !== 'ready') return this.publisherReady().then(attempt);
      return send().catch((error: unknown) => {
        // Refused before it was written (the socket just died): wait for the reconnection.
        if (NOT_WRITTEN.test(describeError(error).message))
          return this.publisherReady().then(attempt);
        throw error;
      });
    };
    return this.withTimeout(attempt(), what, deadline);
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
    const [newestText, markText, entries] = await this.withTimeout(read, `history of "${channel}"`);
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
    await this.withTimeout(this.subscriber.ping(), 'barrier after a history read');
  }

  private historyKeys(channel: string): [string, string, string] {
    const base = `${this.prefix}{history}:`;
    return [`${base}seq`, `${base}stream:${channel}`, `${base}trimmed:${channel}`];
  }

  subscribe(channel: string): Promise<void> {
    this.live.add(channel);
    return this.withTimeout(
      this.subscriber.subscribe(this.prefix + channel),
      `subscribe to "${channel}"`,
    ).then(() => undefined);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.live.delete(channel);
    this.garbageLogged.delete(channel);
    if (this.subscriber.status !== 'ready') return; // nothing to undo: onReady resubscribes `live` only
    await this.subscriber.unsubscribe(this.prefix + channel);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.sink = null;
    await quit(this.subscriber);
    await quit(this.publisher);
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

  private timeoutError(what: string): SsePublishError {
    return new SsePublishError(
      `Redis transport: ${what} not accepted within ${this.publishTimeout} ms (Redis unreachable?)`,
    );
  }

  private publisherReady(): Promise<void> {
    return (this.ready ??= new Promise<void>((resolve) => {
      this.publisher.once('ready', () => {
        this.ready = null;
        resolve();
      });
    }));
  }

  private withTimeout<T>(
    operation: Promise<T>,
    what: string,
    deadline = Date.now() + this.publishTimeout,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(this.timeoutError(what)),
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
            new SsePublishError(
              `Redis transport: ${what} failed: ${describeError(error).message}`,
              { cause: error },
            ),
          );
        },
      );
    });
  }
}

/** ioredis's refusal of a command it did not write (offline queue disabled). */
const NOT_WRITTEN = /Stream isn't writeable/;

async function quit(client: Redis): Promise<void> {
  try {
    if (client.status === 'end') return;
    await client.quit();
  } catch {
    client.disconnect();
  }
}
