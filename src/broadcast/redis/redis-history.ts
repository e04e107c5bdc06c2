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
import { BatchedScript, type BatchMessage, type SharedArgs } from './redis-publish-batch.js';
import { PUBLISH_WITH_HISTORY, READ_HISTORY } from './redis.scripts.js';

type Entry = [Buffer, Buffer[]];

/**
 * `PUBLISH_WITH_HISTORY`, many messages per call; head, id line, size, ttl, the seq seen and the
 * epoch to start are sent once per call (one fresh epoch per call: within one call only the first
 * message can need a new epoch).
 */
const PUBLISH = new BatchedScript(
  'ssePublishWithHistoryBatch',
  PUBLISH_WITH_HISTORY,
  2,
  10,
  [2, 4, 6, 7, 8, 9],
);

interface HistoryCommands {
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
  /** The arguments of {@link PUBLISH} that every message of a call shares. */
  private readonly shared: SharedArgs = {
    args: () => {
      const { head, idLine } = historyMessageParts();
      return [
        head,
        idLine,
        this.options.size,
        historyTtlMs(this.options),
        this.seenSeq,
        newEpoch(),
      ];
    },
  };

  constructor(
    private readonly prefix: string,
    private readonly options: HistoryOptions,
  ) {}

  /** Makes the scripts callable on `client`. */
  install(client: Redis): void {
    PUBLISH.install(client);
    client.defineCommand('sseReadHistory', { numberOfKeys: 2, lua: READ_HISTORY });
  }

  /** Notes an id this process received or was given (its own publish, a message on a channel). */
  noteSeen(id: EventId | null | undefined): void {
    if (id && id.seq > this.seenSeq) this.seenSeq = id.seq;
  }

  /**
   * The message that stores and publishes `body` on `channel` (see `PUBLISH_WITH_HISTORY`): its
   * result is the id it got, or 0 if the script ran after `deadline` (ms on Redis's clock) and did
   * nothing. Pass the id to {@link noteSeen}.
   */
  publishMessage(
    channel: string,
    body: Buffer,
    except: readonly string[] | undefined,
    deadline: number,
  ): BatchMessage {
    const { tail } = historyMessageParts(except);
    return {
      script: PUBLISH,
      keys: this.keys(channel),
      args: [this.prefix + channel, tail, body, deadline],
      shared: this.shared,
    };
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
