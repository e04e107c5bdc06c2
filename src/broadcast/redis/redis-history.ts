import type { Redis } from 'ioredis';
import { parseEventId } from '../history/event-id.js';
import { historyGap, isUnissued } from '../history/history-gap.js';
import type { HistoryOptions, HistoryQuery } from '../history/history-options.js';
import { historyMessageParts } from './redis-message.codec.js';
import { PUBLISH_WITH_HISTORY, READ_HISTORY } from './redis.scripts.js';

interface HistoryCommands {
  ssePublishWithHistory(...args: (string | Buffer | number)[]): Promise<string | 0>;
  sseReadHistoryBuffer(...args: string[]): Promise<[Buffer, Buffer, [Buffer, Buffer[]][]]>;
}

/**
 * History in Redis Streams: one stream and one trim mark per channel, one id counter per prefix
 * (`<prefix>{history}:…`), written and read by the scripts in `redis.scripts.ts`.
 * @internal
 */
export class RedisHistory {
  constructor(
    private readonly prefix: string,
    private readonly options: HistoryOptions,
  ) {}

  /** Makes the scripts callable on `client`. */
  install(client: Redis): void {
    client.defineCommand('ssePublishWithHistory', { numberOfKeys: 3, lua: PUBLISH_WITH_HISTORY });
    client.defineCommand('sseReadHistory', { numberOfKeys: 3, lua: READ_HISTORY });
  }

  /**
   * Stores and publishes `body` on `channel` in one script; resolves with the id it got, or 0 if
   * the script ran after `deadline` (ms on Redis's clock) and did nothing.
   */
  publish(
    client: Redis,
    channel: string,
    body: Buffer,
    except: readonly string[] | undefined,
    deadline: number,
  ): Promise<string | 0> {
    const { head, tail, idLine } = historyMessageParts(except);
    return (client as unknown as HistoryCommands).ssePublishWithHistory(
      ...this.keys(channel),
      this.prefix + channel,
      head,
      tail,
      idLine,
      body,
      this.options.size,
      Math.round((this.options.ttl ?? 0) * 1000),
      deadline,
    );
  }

  /** The events after `sinceId` and whether some may be missing. */
  async read(
    client: Redis,
    channel: string,
    sinceId: string,
    bounded: <T>(operation: Promise<T>) => Promise<T>,
  ): Promise<HistoryQuery> {
    const since = parseEventId(sinceId);
    if (!since) return { events: [], gap: true };
    const [newestText, markText, entries] = await bounded(
      (client as unknown as HistoryCommands).sseReadHistoryBuffer(...this.keys(channel), sinceId),
    );
    const newest = parseEventId(newestText.toString());
    if (isUnissued(since, newest)) return { events: [], gap: true };
    const gap = historyGap({
      since,
      newest,
      trimmedUpTo: parseEventId(markText.toString()),
      ttlMs: (this.options.ttl ?? 0) * 1000,
      now: Date.now(),
    });
    return {
      events: entries.map(([id, fields]) => ({ id: id.toString(), frame: fields[1] })),
      gap,
    };
  }

  private keys(channel: string): [string, string, string] {
    const base = `${this.prefix}{history}:`;
    return [`${base}seq`, `${base}stream:${channel}`, `${base}trimmed:${channel}`];
  }
}
