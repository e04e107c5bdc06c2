import {
  formatEventId,
  isAfter,
  newEpoch,
  parseEventId,
  type EventId,
} from '../history/event-id.js';
import { historyGap, isUnissued } from '../history/history-gap.js';
import {
  historyTtlMs,
  type HistoryOptions,
  type HistoryQuery,
} from '../history/history-options.js';

interface StoredEvent {
  id: EventId;
  idText: string;
  frame: Buffer;
  /** The channel's event before this one (`null`: none in this process). */
  previous: EventId | null;
}

/** The recent events of one channel: a ring of `size` entries, and the channel's newest id. */
class ChannelRing {
  private readonly slots: (StoredEvent | undefined)[];
  private start = 0;
  private length = 0;
  newest: EventId | null = null;

  constructor(private readonly size: number) {
    this.slots = new Array(size);
  }

  push(id: EventId, idText: string, frame: Buffer): void {
    const event = { id, idText, frame, previous: this.newest };
    this.newest = id;
    if (this.length === this.size) {
      this.slots[this.start] = event;
      this.start = (this.start + 1) % this.size;
    } else {
      this.slots[(this.start + this.length++) % this.size] = event;
    }
  }

  /** Drops events published before `minMs` (ttl). */
  expire(minMs: number): void {
    while (this.length > 0 && this.slots[this.start]!.id.ms < minMs) {
      this.slots[this.start] = undefined;
      this.start = (this.start + 1) % this.size;
      this.length--;
    }
  }

  get count(): number {
    return this.length;
  }

  after(since: EventId): StoredEvent[] {
    const events: StoredEvent[] = [];
    for (let i = 0; i < this.length; i++) {
      const event = this.slots[(this.start + i) % this.size]!;
      if (isAfter(event.id, since)) events.push(event);
    }
    return events;
  }
}

/**
 * History of the memory transport: a ring buffer per channel, bounded by `size` and `ttl`, ids
 * from one counter for all channels, in an epoch of this process's own (ids from another process,
 * or from before a restart, are of another epoch: a gap).
 */
export class MemoryHistory {
  private readonly rings = new Map<string, ChannelRing>();
  private readonly epoch = newEpoch();
  private last: EventId | null = null;

  constructor(private readonly options: HistoryOptions) {}

  /** Assigns the next id, stores the frame (`id:` line first) and returns both. */
  append(channel: string, body: Buffer): { id: string; frame: Buffer } {
    const id = {
      ms: Math.max(Date.now(), this.last?.ms ?? 0),
      seq: (this.last?.seq ?? 0) + 1,
      epoch: this.epoch,
    };
    this.last = id;
    const idText = formatEventId(id);
    const frame = Buffer.concat([Buffer.from(`id: ${idText}\n`), body]);
    let ring = this.rings.get(channel);
    if (!ring) {
      ring = new ChannelRing(this.options.size);
      this.rings.set(channel, ring);
    }
    ring.push(id, idText, frame);
    this.expire(ring);
    return { id: idText, frame };
  }

  query(channel: string, sinceText: string): HistoryQuery {
    const since = parseEventId(sinceText);
    if (!since) return { events: [], gap: true };
    const ring = this.rings.get(channel);
    if (ring) this.expire(ring);
    const held =
      ring && !isUnissued(since, this.epoch, this.last) ? ring.after(since) : ([] as StoredEvent[]);
    const gap = historyGap({
      since,
      epoch: this.epoch,
      newest: this.last,
      channelNewest: ring?.newest ?? null,
      replayed:
        held.length > 0 ? { previous: held[0].previous, last: held[held.length - 1].id } : null,
      ttlMs: historyTtlMs(this.options),
      now: Date.now(),
    });
    return { events: held.map(({ idText, frame }) => ({ id: idText, frame })), gap };
  }

  /** Events kept for `channel`. */
  count(channel: string): number {
    return this.rings.get(channel)?.count ?? 0;
  }

  private expire(ring: ChannelRing): void {
    ring.expire(Date.now() - historyTtlMs(this.options));
  }
}
