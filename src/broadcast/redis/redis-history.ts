import type { Redis } from 'ioredis';
import {
  newEpoch,
  parseEventId,
  parseStreamId,
  streamIdOf,
  type EventId,
} from '../history/event-id.js';
import { historyGap, isUnissued } from '../history/history-gap.js';
import {
  historyTtlMs,
  type HistoryOptions,
  type HistoryQuery,
} from '../history/history-options.js';
import { ID_LINE_PREFIX } from '../../protocol/index.js';
import { historyMessageParts } from './redis-message.codec.js';
import { PUBLISH_WITH_HISTORY, READ_HISTORY } from './redis.scripts.js';

type Entry = [Buffer, Buffer[]];

interface HistoryCommands {
  ssePublishWithHistory(...args: (string | Buffer | number)[]): Promise<string | 0>;
  sseReadHistoryBuffer(...args: string[]): Promise<[Buffer, Buffer, Buffer, Entry[]]>;
}

/**
 * History in Redis Streams: one stream per channel, one id counter (with the epoch and each
 * channel's newest id) per prefix (`<prefix>{history}:…`), written and read by the scripts in
 * `redis.scripts.ts`.
 * @internal
 */
export class RedisHistory {
  /** The highest `seq` this process has seen on the prefix: the counter must never be below it. */
  private seenSeq = 0;

  constructor(
    private readonly prefix: string,
    private readonly options: HistoryOptions,
  ) {}

  /** Makes the scripts callable on `client`. */
  install(client: Redis): void {
    client.defineCommand('ssePublishWithHistory', { numberOfKeys: 2, lua: PUBLISH_WITH_HISTORY });
    client.defineCommand('sseReadHistory', { numberOfKeys: 2, lua: READ_HISTORY });
  }

  /** Notes an id this process received or was given (its own publish, a message on a channel). */
  noteSeen(id: EventId | null | undefined): void {
    if (id && id.seq > this.seenSeq) this.seenSeq = id.seq;
  }

  /**
   * Stores and publishes `body` on `channel` in one script; resolves with the id it got, or 0 if
   * the script ran after `deadline` (ms on Redis's clock) and did nothing.
   */
  async publish(
    client: Redis,
    channel: string,
    body: Buffer,
    except: readonly string[] | undefined,
    deadline: number,
  ): Promise<string | 0> {
    const { head, tail, idLine } = historyMessageParts(except);
    const id = await (client as unknown as HistoryCommands).ssePublishWithHistory(
      ...this.keys(channel),
      this.prefix + channel,
      head,
      tail,
      idLine,
      body,
      this.options.size,
      historyTtlMs(this.options),
      this.seenSeq,
      newEpoch(),
      deadline,
    );
    if (id !== 0) this.noteSeen(parseEventId(id));
    return id;
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
    // Taken before the read: what was seen later may have been issued after the read ran.
    const seenSeq = this.seenSeq;
    const [epochText, newestText, channelText, entries] = await bounded(
      (client as unknown as HistoryCommands).sseReadHistoryBuffer(
        ...this.keys(channel),
        streamIdOf(since),
        this.prefix + channel,
      ),
    );
    const epoch = epochText.toString();
    const newest = parseStreamId(newestText.toString(), epoch);
    if (isUnissued(since, epoch, newest)) return { events: [], gap: true };
    const first = entries[0];
    const last = entries[entries.length - 1];
    const gap = historyGap({
      since,
      epoch,
      newest,
      channelNewest: parseStreamId(channelText.toString(), epoch),
      replayed: first
        ? { previous: previousOf(first, epoch), last: parseStreamId(last[0].toString(), epoch)! }
        : null,
      ttlMs: historyTtlMs(this.options),
      now: Date.now(),
      seenSeq,
    });
    return { events: entries.map(([, fields]) => ({ id: idOf(fields), frame: fields[1] })), gap };
  }

  private keys(channel: string): [string, string] {
    const base = `${this.prefix}{history}:`;
    return [`${base}seq`, `${base}stream:${channel}`];
  }
}

/** The `p` field of an entry: the channel's previous event (`null`: none; `undefined`: unknown). */
function previousOf([, fields]: Entry, epoch: string) {
  const at = fields.findIndex((field, i) => i % 2 === 0 && field.toString() === 'p');
  if (at === -1) return undefined;
  const text = fields[at + 1].toString();
  return text === '' ? null : (parseStreamId(text, epoch) ?? undefined);
}

/** The full id of an entry, from its frame's `id:` line (`id: <id>\n…`). */
function idOf(fields: Buffer[]): string {
  const frame = fields[1];
  return frame.toString('latin1', ID_LINE_PREFIX.length, frame.indexOf(0x0a));
}
