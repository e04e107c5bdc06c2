import type { Cluster, Redis } from 'ioredis';
import {
  formatEventId,
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
import { MAX_HISTORY_COUNTERS, historyCounterOf } from '../history/history-counter.js';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import type { RedisTransportOptions } from './redis-transport-options.js';
import { historyTagOf, redisChannelOf } from './redis-channel-of.js';
import { keySlot } from './redis-key-slot.js';
import { BatchedScript, type BatchMessage, type SharedArgs } from './redis-publish-batch.js';
import {
  PUBLISH_WITH_HISTORY,
  READ_HEAD,
  READ_HISTORY,
  publishWithHistory,
} from './redis.scripts.js';

type Entry = [Buffer, Buffer[]];

/**
 * `PUBLISH_WITH_HISTORY` (or its `SPUBLISH` form), many messages per call; head, id line, size,
 * ttl and the epoch to start (`ARGV` 2, 4, 6, 7, 9) are sent once per call. A call may hold
 * messages of several counters (one Redis) or of counters whose tags share a slot (a cluster):
 * the seq seen and the id's counter prefix (8, 11) are per counter, so per message; the epoch is
 * fresh per call: within one call only a counter's first message can need a new epoch, and ids
 * of different counters differ by their prefix.
 */
const batchedHistory = (name: string, lua: string, keysInArgv = false) =>
  new BatchedScript(name, lua, 2, 11, [2, 4, 6, 7, 9], keysInArgv);
/**
 * On one Redis the keys travel with the other arguments (one key named): nothing routes by them,
 * and a call then costs the client one packed argument per message instead of three.
 */
const PUBLISH_ONE_REDIS = batchedHistory('ssePublishWithHistoryPacked', PUBLISH_WITH_HISTORY, true);
/** On a cluster every key is named, so that a slot half moved is refused whole (`TRYAGAIN`). */
const PUBLISH = batchedHistory('ssePublishWithHistoryBatch', PUBLISH_WITH_HISTORY);
const SPUBLISH = batchedHistory('sseSpublishWithHistoryBatch', publishWithHistory('SPUBLISH'));

interface HistoryCommands {
  sseReadHistoryBuffer(...args: string[]): Promise<[Buffer, Buffer, Buffer, Entry[]]>;
  sseReadHead(...args: (string | number)[]): Promise<[string, string]>;
}

/**
 * History in Redis Streams: one stream per channel, and id counters (each with its epoch and its
 * channels' newest ids): one per prefix (`<prefix>{history}:…`), or `counters` of them
 * (`<prefix>{history:<k>}:…`, a channel's keys under counter `historyCounterOf(channel)`), so that
 * on a cluster they spread over the slots. Written and read by the scripts in `redis.scripts.ts`.
 * @internal
 */
export class RedisHistory {
  /** Per counter, the highest `seq` this process has seen: the counter must never be below it. */
  private readonly seenSeq = new Map<number | undefined, number>();
  /** Per counter, the slot of its keys (on a cluster). */
  private readonly slots = new Map<number | undefined, number>();
  /** The cluster publisher (on a cluster), whose slot map names a slot's master. */
  private cluster: Cluster | null = null;
  /** The publish script installed (`SPUBLISH` on a cluster with sharded pub/sub). */
  private script = PUBLISH_ONE_REDIS;
  /** The arguments of a publish call that every message of it shares. */
  private readonly shared: SharedArgs = {
    args: () => {
      const { head, idLine } = historyMessageParts();
      return [head, idLine, this.options.size, historyTtlMs(this.options), newEpoch()];
    },
  };

  constructor(
    private readonly prefix: string,
    private readonly options: HistoryOptions,
    private readonly counters = 1,
    /** On a cluster even the one counter's channels carry its tag (the script is single-slot). */
    private readonly clustered = false,
  ) {}

  /** The id counter of `channel` (`undefined`: the one counter). */
  counterOf(channel: string): number | undefined {
    return historyCounterOf(channel, this.counters);
  }

  /** The Redis channel a history channel's messages travel on. */
  redisChannelOf(channel: string, counter = this.counterOf(channel)): string {
    const tagged = counter !== undefined || this.clustered;
    return redisChannelOf(this.prefix, channel, tagged ? historyTagOf(counter) : undefined);
  }

  /** Makes the scripts callable on `client`; `sharded`: the script publishes with `SPUBLISH`. */
  install(client: Redis, sharded = false): void {
    if (this.clustered) this.cluster = client as unknown as Cluster;
    this.script = !this.clustered ? PUBLISH_ONE_REDIS : sharded ? SPUBLISH : PUBLISH;
    this.script.install(client);
    client.defineCommand('sseReadHistory', { numberOfKeys: 2, lua: READ_HISTORY });
    client.defineCommand('sseReadHead', { numberOfKeys: 1, lua: READ_HEAD });
  }

  /** Notes an id this process received or was given (its own publish, a message on a channel). */
  noteSeen(id: EventId | null | undefined): void {
    if (id && id.seq > (this.seenSeq.get(id.counter) ?? 0)) this.seenSeq.set(id.counter, id.seq);
  }

  /** The newest id `counter` issued (see `READ_HEAD`). */
  async head(
    client: Redis,
    counter: number | undefined,
    bounded: <T>(operation: Promise<T>) => Promise<T>,
  ): Promise<string> {
    const [epoch, newest] = await bounded(
      (client as unknown as HistoryCommands).sseReadHead(
        this.counterKey(counter),
        this.seenSeq.get(counter) ?? 0,
        newEpoch(),
        historyTtlMs(this.options),
      ),
    );
    const id = parseStreamId(newest, epoch, counter);
    if (!id) throw new Error(`unexpected head ${newest}-${epoch}`);
    this.noteSeen(id);
    return formatEventId(id);
  }

  /**
   * The message that stores and publishes `body` on `channel` (see `PUBLISH_WITH_HISTORY`): its
   * result is the id it got, or 0 if the script ran after `deadline` (ms on Redis's clock) and did
   * nothing. Pass the id to {@link noteSeen}. On a cluster its route is its keys' slot.
   */
  publishMessage(
    channel: string,
    body: Buffer,
    except: readonly string[] | undefined,
    deadline: number,
  ): BatchMessage {
    const { tail } = historyMessageParts(except);
    const counter = this.counterOf(channel);
    const keys = this.keys(channel, counter);
    return {
      script: this.script,
      keys,
      // ARGV 1, 3, 5, 8, 10, 11 (the others are shared).
      args: [
        this.redisChannelOf(channel, counter),
        tail,
        body,
        this.seenSeq.get(counter) ?? 0,
        deadline,
        idPrefixOf(counter),
      ],
      shared: this.shared,
      ...(this.clustered ? this.routed(counter, keys[0]) : {}),
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
    const counter = this.counterOf(channel);
    if (!since || since.counter !== counter) return { events: [], gap: true };
    // Taken before the read: what was seen later may have been issued after the read ran.
    const seenSeq = this.seenSeq.get(counter) ?? 0;
    const [epochText, newestText, channelText, entries] = await bounded(
      (client as unknown as HistoryCommands).sseReadHistoryBuffer(
        ...this.keys(channel, counter),
        streamIdOf(since),
        this.redisChannelOf(channel, counter),
      ),
    );
    const epoch = epochText.toString();
    const newest = parseStreamId(newestText.toString(), epoch, counter);
    if (isUnissued(since, epoch, newest, counter)) return { events: [], gap: true };
    const first = entries[0];
    const last = entries[entries.length - 1];
    const gap = historyGap({
      since,
      counter,
      epoch,
      newest,
      channelNewest: parseStreamId(channelText.toString(), epoch, counter),
      replayed: first
        ? {
            previous: previousOf(first, epoch, counter),
            last: parseStreamId(last[0].toString(), epoch, counter)!,
          }
        : null,
      ttlMs: historyTtlMs(this.options),
      now: Date.now(),
      seenSeq,
    });
    return { events: entries.map(([, fields]) => ({ id: idOf(fields), frame: fields[1] })), gap };
  }

  /**
   * A counter's slot as a route of the publish batch (computed once per counter), and the master
   * that owns it as the client knows it.
   */
  private routed(counter: number | undefined, key: string): { route: string; node?: string } {
    let slot = this.slots.get(counter);
    if (slot === undefined) this.slots.set(counter, (slot = keySlot(key)));
    return { route: String(slot), node: this.cluster?.slots[slot]?.[0] };
  }

  private counterKey(counter: number | undefined): string {
    return `${this.prefix}${historyTagOf(counter)}:seq`;
  }

  private keys(channel: string, counter: number | undefined): [string, string] {
    const base = `${this.prefix}${historyTagOf(counter)}:`;
    return [`${base}seq`, `${base}stream:${channel}`];
  }
}

/**
 * {@link RedisTransportOptions.historyCounters}, checked (`TypeError`); default 1 on one Redis, 16
 * on a cluster (the counters' hash tags spread history over 16 slots, so over the shards).
 */
export function historyCountersOf(options: RedisTransportOptions, clustered: boolean): number {
  const counters = options.historyCounters ?? (clustered ? CLUSTER_HISTORY_COUNTERS : 1);
  if (!Number.isInteger(counters) || counters < 1 || counters > MAX_HISTORY_COUNTERS)
    throw new TypeError(BROADCAST_MESSAGES.historyCounters(counters, MAX_HISTORY_COUNTERS));
  return counters;
}

/** `historyCounters` by default on a cluster. */
export const CLUSTER_HISTORY_COUNTERS = 16;

/** What an id of `counter` starts with (see `event-id.ts`). */
function idPrefixOf(counter: number | undefined): string {
  return counter === undefined ? '' : `${counter}:`;
}

/** The `p` field of an entry: the channel's previous event (`null`: none; `undefined`: unknown). */
function previousOf([, fields]: Entry, epoch: string, counter: number | undefined) {
  const at = fields.findIndex((field, i) => i % 2 === 0 && field.toString() === 'p');
  if (at === -1) return undefined;
  const text = fields[at + 1].toString();
  return text === '' ? null : (parseStreamId(text, epoch, counter) ?? undefined);
}

/** The full id of an entry, from its frame's `id:` line (`id: <id>\n…`). */
function idOf(fields: Buffer[]): string {
  const frame = fields[1];
  return frame.toString('latin1', ID_LINE_PREFIX.length, frame.indexOf(0x0a));
}
