/**
 * Event ids on channels with history: `<ms>-<seq>`, the form of a Redis Stream id. `seq` comes
 * from one counter for every channel of a module (one prefix), so ids of different channels
 * compare in publish order, and one `Last-Event-ID` resumes every channel a connection is in.
 */
export interface EventId {
  readonly ms: number;
  readonly seq: number;
}

/** At most 15 digits each: exact as doubles, and never the `Infinity` of 1 KiB of digits. */
const EVENT_ID = /^(\d{1,15})-(\d{1,15})$/;

/** `null` for anything that is not an id we could have issued (ids from clients are untrusted). */
export function parseEventId(value: string | null | undefined): EventId | null {
  if (typeof value !== 'string') return null;
  const match = EVENT_ID.exec(value);
  if (!match) return null;
  return { ms: Number(match[1]), seq: Number(match[2]) };
}

export function formatEventId(id: EventId): string {
  return `${id.ms}-${id.seq}`;
}

/** Negative, zero or positive as `a` is before, the same as, or after `b`. */
export function compareEventIds(a: EventId, b: EventId): number {
  return a.seq !== b.seq ? a.seq - b.seq : a.ms - b.ms;
}
