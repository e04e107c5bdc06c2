import {
  OutgoingFrame,
  describeError,
  type ChannelMember,
  type SseLogger,
} from '../../connection/index.js';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';
import type { SseTransport } from '../sse-transport.js';
import { mergeReplay, type ReplayItem } from './merge-replay.js';

/** What live streams get when their worker may have missed events: kept (logged) or closed. */
export type LiveGapPolicy = 'log' | 'close';

/** A live frame that arrived while a channel was catching up. */
export interface HeldLiveFrame {
  frame: OutgoingFrame;
  except: readonly string[] | undefined;
}

/** What the catch-up needs of the channels. */
export interface CatchUpChannels {
  members(channel: string): Iterable<ChannelMember> | undefined;
  /** Start holding the channel's live frames; `release` stops and returns them, in order. */
  hold(channel: string): void;
  release(channel: string): ReplayItem<HeldLiveFrame>[];
}

type CatchUpSource = Pick<SseTransport, 'history' | 'barrier' | 'keepsHistory'>;

/**
 * After the transport resubscribed (a Redis reconnect or failover), what live members of a
 * channel missed while this worker was not subscribed: on a channel with history, read after the
 * last id this worker received (ids of all channels share one order, so anything missed is after
 * it), merged with the live frames held meanwhile and written in id order, each id once. Where
 * that cannot be shown complete (no history, trimmed, the read failed), the loss is counted and
 * logged, and with `'close'` the members' streams end so their clients reconnect and resume.
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

  async run(channel: string, lastSeenId: string | undefined): Promise<void> {
    if (!this.source.keepsHistory(channel)) {
      this.reportGap(channel, 'the channel keeps no history to catch up from');
      return;
    }
    // Held since the break: released on every path below, or the channel stays silent for good.
    this.channels.hold(channel);
    let history: ReplayItem<HeldLiveFrame>[] = [];
    let gap = true;
    try {
      if (lastSeenId) {
        const query = await this.source.history(channel, lastSeenId);
        await this.source.barrier?.();
        history = query.events.map(({ id, frame }) => ({
          id,
          frame: { frame: new OutgoingFrame(frame), except: undefined },
        }));
        gap = query.gap;
      }
    } catch (error) {
      this.logger.warn(BROADCAST_MESSAGES.catchUpFailed(channel, describeError(error).message));
    } finally {
      const held = this.channels.release(channel);
      for (const { frame, except } of mergeReplay(history, held)) {
        for (const member of this.channels.members(channel) ?? []) {
          if (!except || !except.includes(member.id)) member.deliver(frame);
        }
      }
    }
    if (!lastSeenId)
      this.reportGap(channel, 'no event was received before, so nothing tells where to start');
    else if (gap) this.reportGap(channel, 'history no longer reaches back to what was missed');
  }

  private reportGap(channel: string, why: string): void {
    const members = [...(this.channels.members(channel) ?? [])];
    if (members.length === 0) return;
    this.gaps += members.length;
    this.logger.warn(BROADCAST_MESSAGES.liveGap(channel, members.length, why, this.policy));
    if (this.policy === 'close') for (const member of members) member.terminate('missed-events');
  }
}
