import { compareEventIds, formatEventId, parseEventId, type EventId } from '../history/event-id.js';
import { historyGap, isUnissued } from '../history/history-gap.js';
import type { HistoryOptions, HistoryQuery } from '../history/history-options.js';

interface StoredEvent {
  id: EventId;
  idText: string;
  frame: Buffer;
}

/** The recent events of one channel: a ring of `size` entries, and the newest id trimmed. */
class ChannelRing {
  private readonly slots: (StoredEvent | undefined)[];
  private start = 0;
  private length = 0;
  trimmedUpTo: EventId | null = null;

  constructor(private readonly size: number) {
    this.slots = new Array(size);
  }

  push(event: StoredEvent): void {
    if (this.length === this.size) {
      this.trimmedUpTo = this.slots[this.start]!.id;
      this.slots[this.start] = event;
      this.start = (this.start + 1) % this.size;
    } else {
      this.slots[(this.start + this.length++) % this.size] = event;
    }
  }

  /** Drops events published before `minMs` (ttl). */
  expire(minMs: number): void {
    while (this.length > 0 && this.slots[this.start]!.id.ms < minMs) {
      this.trimmedUpTo = this.slots[this.start]!.id;
      this.slots[this.start] = undefined;
      this.start = (this.start + 1) % this.size;
      this.length--;
    }
  }

  get count(): number {
    return this.length;
  }

  *after(since: EventId): Generator<StoredEvent> {
    for (let i = 0; i < this.length; i++) {
      const event = this.slots[(this.start + i) % this.size]!;
      if (compareEventIds(event.id, since) > 0) yield event;
    }
  }
}

/**
 * History of the memory transport: a ring buffer per channel, bounded by `size` (and `ttl`),
 * ids from one counter for all channels.
 */
export class MemoryHistory {
  private readonly rings = new Map<string, ChannelRing>();
  private last: EventId | null = null;
  /** The first id this process issued: anything older is from before it started. */
  private first: EventId | null = null;

  constructor(private readonly options: HistoryOptions) {}

  /** Assigns the next id, stores the frame (`id:` line first) and returns both. */
  append(channel: string, body: Buffer): { id: string; frame: Buffer } {
    const id = { ms: Math.max(Date.now(), this.last?.ms ?? 0), seq: (this.last?.seq ?? 0) + 1 };
    this.last = id;
    this.first ??= id;
    const idText = formatEventId(id);
    const frame = Buffer.concat([Buffer.from(`id: ${idText}\n`), body]);
    let ring = this.rings.get(channel);
    if (!ring) {
      ring = new ChannelRing(this.options.size);
      this.rings.set(channel, ring);
    }
    ring.push({ id, idText, frame });
    this.expire(ring);
    return { id: idText, frame };
  }

  query(channel: string, sinceText: string): HistoryQuery {
    const since = parseEventId(sinceText);
    if (!since) return { events: [], gap: true };
    const ring = this.rings.get(channel);
    if (ring) this.expire(ring);
    const gap = historyGap({
      since,
      newest: this.last,
      oldest: this.first,
      trimmedUpTo: ring?.trimmedUpTo ?? null,
      ttlMs: (this.options.ttl ?? 0) * 1000,
      now: Date.now(),
    });
    const events =
      ring && !isUnissued(since, this.last)
        ? [...ring.after(since)].map(({ idText, frame }) => ({ id: idText, frame }))
        : [];
    return { events, gap };
  }

  /** Events kept for `channel`. */
  count(channel: string): number {
    return this.rings.get(channel)?.count ?? 0;
  }

  private expire(ring: ChannelRing): void {
    if (this.options.ttl) ring.expire(Date.now() - this.options.ttl * 1000);
  }
}
