import { OutgoingFrame, type ChannelMember } from '../../connection/index.js';
import { parseEventId, type EventId } from './event-id.js';
import { ResumePosition } from './resume-position.js';

type Counter = number | undefined;

interface Tracked {
  readonly position: ResumePosition;
  /** The history channels the member is in, and their counters. */
  readonly channels: Map<string, Counter>;
  /** How many of those channels each counter has. */
  readonly counters: Map<Counter, number>;
}

/** What a join changed for a member's position blocks. */
export interface PositionJoin {
  /** Channels whose frames must now be followed by this member's position block. */
  readonly spanning: readonly string[];
  /** Counters whose current head the member's position must be moved to (read, then barrier). */
  readonly heads: readonly Counter[];
}

const NOTHING: PositionJoin = { spanning: [], heads: [] };

/**
 * The resume position of each connection whose history channels use more than one id counter.
 * Such a connection can't resume from the `id:` of a shared frame (it names one counter), so it
 * gets each frame's body (the shared bytes after the `id:` line, never re-encoded) after an `id:`
 * line of its own naming its whole position: its `Last-Event-ID` is always the position. Before
 * its first event, the counters' heads come in an id-only block (the WHATWG parser sets the last
 * event ID on every dispatch, also of a block without `data`). Connections in one counter's
 * channels pay nothing: their frames' ids are their position.
 */
export class ConnectionPositions {
  private readonly tracked = new Map<ChannelMember, Tracked>();

  /** `member` joined history `channel` of `counter`. */
  joined(member: ChannelMember, channel: string, counter: Counter): PositionJoin {
    let tracked = this.tracked.get(member);
    if (!tracked) {
      tracked = {
        position: ResumePosition.parse(member.lastEventId) ?? new ResumePosition(),
        channels: new Map(),
        counters: new Map(),
      };
      this.tracked.set(member, tracked);
    }
    if (tracked.channels.has(channel)) return NOTHING;
    const wasSpanning = tracked.counters.size > 1;
    const newCounter = !tracked.counters.has(counter);
    tracked.channels.set(channel, counter);
    tracked.counters.set(counter, (tracked.counters.get(counter) ?? 0) + 1);
    if (tracked.counters.size < 2) return NOTHING;
    // It became spanning: until now its position was the id of its last frame, of one counter,
    // which was not tracked; every counter's head brings the position up to date.
    if (!wasSpanning)
      return { spanning: [...tracked.channels.keys()], heads: [...tracked.counters.keys()] };
    return { spanning: [channel], heads: newCounter ? [counter] : [] };
  }

  /** `member` left `channel`; returns the channels whose frames no longer need its block. */
  left(member: ChannelMember, channel: string): readonly string[] {
    const tracked = this.tracked.get(member);
    const counter = tracked?.channels.get(channel);
    if (!tracked || !tracked.channels.delete(channel)) return [];
    const remaining = tracked.counters.get(counter)! - 1;
    if (remaining > 0) tracked.counters.set(counter, remaining);
    else tracked.counters.delete(counter);
    if (tracked.channels.size === 0) this.tracked.delete(member);
    if (tracked.counters.size > 1) return [channel];
    return [channel, ...tracked.channels.keys()];
  }

  spans(member: ChannelMember): boolean {
    return (this.tracked.get(member)?.counters.size ?? 0) > 1;
  }

  /**
   * Writes `frame` (carrying `id`) to `member`: as it is, or, when the member spans counters, its
   * body (`body`: the frame without its `id:` line, shared by every such member) after an `id:`
   * line of the member's position moved to `id` — one block, so no cut of the stream can separate
   * the event from the position that accounts for it.
   */
  deliver(
    member: ChannelMember,
    frame: OutgoingFrame,
    id: string | EventId | null | undefined,
    body?: OutgoingFrame | null,
  ): void {
    const tracked = this.tracked.get(member);
    const spans = tracked !== undefined && tracked.counters.size > 1 && !!id;
    const parsed = !spans ? null : typeof id === 'string' ? parseEventId(id) : id;
    const rest = parsed && (body ?? bodyOf(frame));
    if (!parsed || !rest) {
      member.deliver(frame);
      return;
    }
    tracked!.position.advance(parsed);
    member.deliver(OutgoingFrame.prefixed(`id: ${tracked!.position.format()}\n`, rest));
  }

  /**
   * Moves `member`'s position to the counters' heads (newest ids issued). Only once every event
   * up to them on its channels was written to it: after the transport's barrier, and after a
   * pending replay was flushed.
   */
  moveToHeads(member: ChannelMember, heads: readonly EventId[]): void {
    const tracked = this.tracked.get(member);
    if (!tracked || tracked.counters.size < 2) return;
    let moved = false;
    for (const head of heads) if (tracked.position.advance(head)) moved = true;
    // No event to carry it: an id-only block (WHATWG parsers set the last event ID on it too).
    if (moved)
      member.deliverPosition(
        new OutgoingFrame(Buffer.from(`id: ${tracked.position.format()}\n\n`)),
      );
  }

  /** The member's position as written in its blocks (tests, logs). */
  positionOf(member: ChannelMember): string | undefined {
    return this.tracked.get(member)?.position.format();
  }

  clear(): void {
    this.tracked.clear();
  }
}

/** `frame` without its leading `id:` line (`null` if it has none), to follow a position line. */
export function bodyOf(frame: OutgoingFrame): OutgoingFrame | null {
  const { bytes } = frame;
  if (bytes.length < 4 || bytes.toString('latin1', 0, 3) !== 'id:') return null;
  const end = bytes.indexOf(0x0a);
  return end === -1 ? null : new OutgoingFrame(bytes.subarray(end + 1));
}
