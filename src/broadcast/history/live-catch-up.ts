import {
  OutgoingFrame,
  describeError,
  type ChannelMember,
  type SseLogger,
} from '../../connection/index.js';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import type { SseTransport } from '../sse-transport.js';
import { compareEventIds, sameCounter, type EventId } from './event-id.js';
import { orderReplay, type OrderedItem, type ReplayItem } from './merge-replay.js';
import type { ReplayBatch } from './replay-batch.js';

/** What live streams get when their worker may have missed events: kept (logged) or closed. */
export type LiveGapPolicy = 'log' | 'close';

/** A live frame that arrived while a channel was catching up. */
export interface HeldLiveFrame {
  frame: OutgoingFrame;
  except: readonly string[] | undefined;
}

/**
 * A member that joined while its channel was held: it got what it missed from its own replay (up
 * to `after`, `null` without a replay) and the held frames from index `from` on are its live ones.
 */
export interface LateJoiner {
  after: EventId | null;
  from: number;
}

/** What a channel held while catching up, and who must not get all of it. */
export interface ReleasedChannel {
  held: ReplayItem<HeldLiveFrame>[];
  late: ReadonlyMap<ChannelMember, LateJoiner> | null;
  /** Members whose own replay is still being collected: the catch-up goes into their batch. */
  replaying: ReadonlyMap<ChannelMember, ReplayBatch> | null;
}

/** What the catch-up needs of the channels. */
export interface CatchUpChannels {
  members(channel: string): Iterable<ChannelMember> | undefined;
  /** Writes `frame` with `id` to `member` (with its position, if it spans id counters). */
  deliver(member: ChannelMember, frame: OutgoingFrame, id: EventId | null): void;
  /** Start holding the channel's live frames; `release` stops and returns them, in order. */
  hold(channel: string): void;
  release(channel: string): ReleasedChannel;
}

/** A frame to write after the catch-up, and where it came from (`held`: its index, else -1). */
interface CatchUpFrame extends HeldLiveFrame {
  id: string | undefined;
  held: number;
}

type CatchUpSource = Pick<SseTransport, 'history' | 'barrier' | 'keepsHistory'>;

/**
 * After the transport resubscribed (a Redis reconnect or failover), what live members of a
 * channel missed while this worker was not subscribed: on a channel with history, read after the
 * last id this worker received of the channel's id counter (ids of one counter share one order,
 * so anything missed on its channels is after it; ids of other counters are never looked at),
 * merged with the live frames held meanwhile and written in id order, each id once. Where that
 * cannot be shown complete (no history, trimmed, the read failed, no id of the counter received
 * before the break; a channel that carried events published with `history: false`), the loss is
 * counted and logged, and with `'close'` the members' streams end so their clients reconnect and
 * resume.
 */
export class LiveCatchUp {
  /** Members told they may have missed events (for metrics). */
  gaps = 0;

  constructor(
    private readonly source: CatchUpSource,
    private readonly channels: CatchUpChannels,
    private readonly logger: SseLogger,
    private readonly policy: LiveGapPolicy,
  ) {}

  /** `liveOnly`: the channel carries events published with `history: false`, never replayable. */
  async run(channel: string, lastSeenId: string | undefined, liveOnly = false): Promise<void> {
    if (!this.source.keepsHistory(channel)) {
      this.reportGap(channel, 'the channel keeps no history to catch up from');
      return;
    }
    // Held since the break: released on every path below, or the channel stays silent for good.
    this.channels.hold(channel);
    let history: ReplayItem<CatchUpFrame>[] = [];
    let gap = true;
    try {
      if (lastSeenId) {
        const query = await this.source.history(channel, lastSeenId);
        await this.source.barrier?.();
        history = query.events.map(({ id, frame }) => ({
          id,
          frame: { frame: new OutgoingFrame(frame), except: undefined, id, held: -1 },
        }));
        gap = query.gap;
      }
    } catch (error) {
      this.logger.warn(BROADCAST_MESSAGES.catchUpFailed(channel, describeError(error).message));
    } finally {
      this.write(channel, history, this.channels.release(channel));
    }
    if (!lastSeenId)
      this.reportGap(channel, 'no event was received before, so nothing tells where to start');
    else if (gap) this.reportGap(channel, 'history no longer reaches back to what was missed');
    else if (liveOnly)
      this.reportGap(channel, 'it carries events published with history: false, never replayed');
  }

  /**
   * History and held frames merged in id order, each id once, to every member — except what a
   * member got otherwise: one still replaying gets them in its batch (which keeps each id once),
   * one that joined while the channel was held gets only what is after its own replay.
   */
  private write(
    channel: string,
    history: ReplayItem<CatchUpFrame>[],
    { held, late, replaying }: ReleasedChannel,
  ): void {
    // Held wins over history for the same id: its index tells a late joiner's live frames.
    const ordered = orderReplay(
      held.map(({ id, frame }, index) => ({ id, frame: { ...frame, id, held: index } })),
      history,
    );
    for (const member of this.channels.members(channel) ?? []) {
      const batch = replaying?.get(member);
      const joined = late?.get(member);
      for (const item of ordered) {
        const { frame, except, id } = item.frame;
        if (except && except.includes(member.id)) continue;
        if (batch) {
          if (id !== undefined) batch.hold(channel, frame, id); // the rest it has
        } else if (!joined || isAfterJoin(item, joined))
          this.channels.deliver(member, frame, item.id);
      }
    }
  }

  private reportGap(channel: string, why: string): void {
    const members = [...(this.channels.members(channel) ?? [])];
    if (members.length === 0) return;
    this.gaps += members.length;
    this.logger.warn(BROADCAST_MESSAGES.liveGap(channel, members.length, why, this.policy));
    if (this.policy === 'close') for (const member of members) member.terminate('missed-events');
  }
}

/**
 * Whether a member that joined while the channel was held still needs `item`. Ids are compared
 * within the channel's id counter only (an id of another counter has no order: the held index
 * decides, as for another epoch).
 */
function isAfterJoin({ id, frame }: OrderedItem<CatchUpFrame>, joined: LateJoiner): boolean {
  if (!id || !joined.after || !sameCounter(id, joined.after)) return frame.held >= joined.from;
  const order = compareEventIds(id, joined.after);
  return order === null ? frame.held >= joined.from : order > 0;
}
