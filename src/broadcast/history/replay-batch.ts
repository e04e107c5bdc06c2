import type { OutgoingFrame } from '../../connection/index.js';
import { compareEventIds, parseEventId, sameCounter, type EventId } from './event-id.js';
import { orderReplay, type OrderedItem, type ReplayItem } from './merge-replay.js';

interface HeldFrame extends ReplayItem<OutgoingFrame> {
  readonly channel: string;
}

/**
 * One resuming connection's replay across the channels it joins together: the history read for
 * each, and the live frames held back meanwhile, until they are written as one stream in id order.
 */
export class ReplayBatch {
  /** Joins whose history is still being read. */
  pending = 0;
  /** A check for "no join in flight" is scheduled. */
  quietCheckScheduled = false;
  /** Channels whose live frames are held for this connection. */
  private readonly channels = new Set<string>();
  private readonly history = new Map<string, ReplayItem<Buffer>[]>();
  private readonly held: HeldFrame[] = [];
  /** What must wait until the replay is written (moving the position to the counters' heads). */
  readonly afterFlush: (() => void)[] = [];

  begin(channel: string): void {
    this.pending++;
    this.channels.add(channel);
  }

  addHistory(channel: string, events: readonly { id: string; frame: Buffer }[]): void {
    this.history.set(channel, [...events]);
  }

  hold(channel: string, frame: OutgoingFrame, id: string | undefined): void {
    this.held.push({ channel, frame, id });
  }

  /** The connection left `channel`: nothing of it is written. Returns the channels still held. */
  drop(channel: string): number {
    this.channels.delete(channel);
    this.history.delete(channel);
    return this.channels.size;
  }

  heldChannels(): Iterable<string> {
    return this.channels;
  }

  /**
   * The newest id (of the newest epoch seen) of `channel` in this batch; `null` if none. A
   * channel's ids are of its one counter; one of another counter (a worker configured with other
   * `historyCounters`) is not compared, it counts as newer, as another epoch does.
   */
  newestId(channel: string): EventId | null {
    let newest: EventId | null = null;
    const ids = [
      ...(this.history.get(channel) ?? []).map((item) => item.id),
      ...this.held.filter((frame) => frame.channel === channel).map((frame) => frame.id),
    ];
    for (const text of ids) {
      const id = text === undefined ? null : parseEventId(text);
      if (!id) continue;
      const order = newest && sameCounter(id, newest) ? compareEventIds(id, newest) : null;
      if (!newest || order === null || order > 0) newest = id;
    }
    return newest;
  }

  /** The frames to write, in order, with their ids (see {@link orderReplay}). */
  frames(wrap: (bytes: Buffer) => OutgoingFrame): OrderedItem<OutgoingFrame>[] {
    const history: ReplayItem<OutgoingFrame>[] = [];
    for (const [channel, events] of this.history) {
      if (!this.channels.has(channel)) continue;
      for (const { id, frame } of events) history.push({ id, frame: wrap(frame) });
    }
    const held = this.held.filter((frame) => this.channels.has(frame.channel));
    return orderReplay(history, held);
  }
}
