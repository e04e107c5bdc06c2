import { randomFillSync } from 'node:crypto';

/**
 * Event ids on channels with history: `<ms>-<seq>-<epoch>`, or `<counter>:<ms>-<seq>-<epoch>` when
 * history is spread over several id counters (Redis `historyCounters` > 1). `<ms>-<seq>` is the
 * form of a Redis Stream id; `seq` comes from the counter of the channel (one counter for every
 * channel of a prefix by default), so ids of one counter compare in publish order. `epoch` names
 * the life of that counter: a store that lost its counter (Redis restarted without persistence,
 * the counter evicted or flushed, a failover that lost writes, a memory transport in a new
 * process) starts a new epoch, so an id is never issued twice for different events, and ids of
 * another epoch are neither before nor after ours: they are a gap. Ids of different counters have
 * no order at all, and are never "another epoch" of each other: comparing them is a bug (throws).
 */
export interface EventId {
  /** The id counter (`undefined`: the one counter, ids without a `<counter>:` prefix). */
  readonly counter?: number;
  readonly ms: number;
  readonly seq: number;
  readonly epoch: string;
}

/** The longest id we issue (2 + 1 + 15 + 1 + 15 + 1 + 16 characters): anything longer is not ours. */
export const MAX_EVENT_ID_LENGTH = 51;

/** At most 15 digits each: exact as doubles, and never the `Infinity` of 1 KiB of digits. */
const EVENT_ID = /^(?:(\d{1,2}):)?(\d{1,15})-(\d{1,15})-([0-9a-z]{1,16})$/;
const STREAM_ID = /^(\d{1,15})-(\d{1,15})$/;
/** The form of an epoch: what {@link newEpoch} makes, and what the id parser accepts. */
export const EPOCH = /^[0-9a-z]{1,16}$/;

/** `null` for anything that is not an id we could have issued (ids from clients are untrusted). */
export function parseEventId(value: string | null | undefined): EventId | null {
  if (typeof value !== 'string' || value.length > MAX_EVENT_ID_LENGTH) return null;
  const match = EVENT_ID.exec(value);
  if (!match) return null;
  const counter = match[1] === undefined ? undefined : Number(match[1]);
  return eventIdOf(counter, Number(match[2]), Number(match[3]), match[4]);
}

/** An id from its parts; the one counter (`undefined`) has no `counter` key at all. */
export function eventIdOf(
  counter: number | undefined,
  ms: number,
  seq: number,
  epoch: string,
): EventId {
  return counter === undefined ? { ms, seq, epoch } : { counter, ms, seq, epoch };
}

/**
 * A stored Redis Stream id (`<ms>-<seq>`) of the store's current `epoch` on `counter`; `null` if
 * malformed.
 */
export function parseStreamId(
  value: string | null | undefined,
  epoch: string,
  counter?: number,
): EventId | null {
  if (typeof value !== 'string') return null;
  const match = STREAM_ID.exec(value);
  if (!match) return null;
  return eventIdOf(counter, Number(match[1]), Number(match[2]), epoch);
}

export function formatEventId(id: EventId): string {
  const text = `${id.ms}-${id.seq}-${id.epoch}`;
  return id.counter === undefined ? text : `${id.counter}:${text}`;
}

/** `a` and `b` come from the same id counter (their order, or epochs, mean something). */
export function sameCounter(a: EventId, b: EventId): boolean {
  return a.counter === b.counter;
}

/** The Redis Stream id of an event (`<ms>-<seq>`, without the epoch). */
export function streamIdOf(id: EventId): string {
  return `${id.ms}-${id.seq}`;
}

/**
 * Negative, zero or positive as `a` is before, the same as, or after `b`; `null` when they are of
 * different epochs: neither is before the other. Ids of different counters throw a `TypeError`:
 * they are not of different epochs, they have no relation (check {@link sameCounter} first).
 */
export function compareEventIds(a: EventId, b: EventId): number | null {
  if (!sameCounter(a, b)) {
    throw new TypeError(
      `Ids of different counters have no order: ${formatEventId(a)}, ${formatEventId(b)}`,
    );
  }
  if (a.epoch !== b.epoch) return null;
  return orderWithinEpoch(a.seq, a.ms, b.seq, b.ms);
}

/** The order of two ids of one counter and epoch, given by their parts (see {@link compareEventIds}). */
export function orderWithinEpoch(seqA: number, msA: number, seqB: number, msB: number): number {
  return seqA !== seqB ? seqA - seqB : msA - msB;
}

/** `a` is of the same epoch as `b` and after it. */
export function isAfter(a: EventId, b: EventId): boolean {
  const order = compareEventIds(a, b);
  return order !== null && order > 0;
}

/**
 * The later of two ids (`null`: none): `b` only if it is of `a`'s counter and epoch and after it;
 * else `a` (or `b` when there is no `a`).
 */
export function laterOf(a: EventId | null, b: EventId | null): EventId | null {
  if (!a || !b) return a ?? b;
  return sameCounter(a, b) && isAfter(b, a) ? b : a;
}

/** Random bytes drawn 512 at a time: a publish call asks for an epoch each time it is sent. */
const epochBytes = Buffer.alloc(512);
let epochBytesUsed = epochBytes.length;

/** A fresh epoch: 8 random base-36 characters (about 41 bits). */
export function newEpoch(): string {
  if (epochBytesUsed + 8 > epochBytes.length) {
    randomFillSync(epochBytes);
    epochBytesUsed = 0;
  }
  let epoch = '';
  for (let i = 0; i < 8; i++) epoch += (epochBytes[epochBytesUsed++] % 36).toString(36);
  return epoch;
}
