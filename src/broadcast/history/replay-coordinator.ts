import {
  OutgoingFrame,
  describeError,
  type ChannelMember,
  type SseLogger,
} from '../../connection/index.js';
import type { SseTransport } from '../sse-transport.js';
import type { ConnectionPositions } from './connection-positions.js';
import { formatEventId } from './event-id.js';
import type { HistoryQuery } from './history-options.js';
import { ResumePosition } from './resume-position.js';
import { ReplayBatch } from './replay-batch.js';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';

/** Where live frames of a channel are held for a member while its replay is collected. */
export interface ReplayHolding {
  hold(channel: string, member: ChannelMember, batch: ReplayBatch): void;
  /** `batch`: what the member is written now (when its replay is written, not dropped). */
  release(channel: string, member: ChannelMember, batch?: ReplayBatch): void;
}

type HistorySource = Pick<SseTransport, 'history' | 'barrier' | 'historyCounterOf'>;

/**
 * `Last-Event-ID` replay on join. For each channel a resuming member joins: hold its live frames,
 * read the history, wait for the transport's barrier. The channels a member joins while it
 * connects are collected in one {@link ReplayBatch} and written together, merged in id order,
 * once none of their joins is in flight and one of these happens: `onConnect` settles, the
 * application writes to the connection, or a turn of the event loop passes with no join started
 * (so `await join(a); await join(b)` replays as one). A join after connecting is written at once.
 */
export class ReplayCoordinator {
  private readonly batches = new Map<ChannelMember, ReplayBatch>();

  constructor(
    private readonly source: HistorySource,
    private readonly holding: ReplayHolding,
    private readonly logger: SseLogger,
    private readonly positions?: ConnectionPositions,
  ) {}

  /** Collects what `member` missed on `channel`; resolves once read (`replayGap` then final). */
  async collect(member: ChannelMember, channel: string, subscribed: Promise<void>): Promise<void> {
    const batch = this.batchOf(member);
    batch.begin(channel);
    this.holding.hold(channel, member, batch);
    try {
      await subscribed;
      const { events, gap } = await this.read(channel, sinceFor(this.source, member, channel));
      batch.addHistory(channel, events);
      member.resume.noteReplay(gap);
    } finally {
      batch.pending--;
      this.settle(member, batch);
    }
  }

  /** Writes a member's collected replay, unless one of its joins is still in flight. */
  flush(member: ChannelMember): void {
    const batch = this.batches.get(member);
    if (!batch || batch.pending > 0) return;
    this.forget(member);
    for (const channel of batch.heldChannels()) this.holding.release(channel, member, batch);
    for (const { frame, id } of batch.frames(toFrame)) {
      if (this.positions) this.positions.deliver(member, frame, id);
      else member.deliver(frame);
    }
    for (const then of batch.afterFlush) then();
  }

  /** `member`'s replay, if one is being collected, is not written before `work` settles. */
  during(member: ChannelMember, work: Promise<void>): void {
    const batch = this.batches.get(member);
    if (!batch) return;
    batch.pending++;
    void work.finally(() => {
      batch.pending--;
      this.settle(member, batch);
    });
  }

  /** Runs `then` once `member`'s pending replay was written (at once if none is pending). */
  whenFlushed(member: ChannelMember, then: () => void): void {
    const batch = this.batches.get(member);
    if (batch) batch.afterFlush.push(then);
    else then();
  }

  /** `member` left `channel` while collecting: nothing of that channel is written. */
  drop(member: ChannelMember, channel: string): void {
    const batch = this.batches.get(member);
    if (!batch) return;
    this.holding.release(channel, member);
    if (batch.drop(channel) === 0 && batch.pending === 0) {
      this.forget(member);
      for (const then of batch.afterFlush) then();
    }
  }

  clear(): void {
    this.batches.clear();
  }

  private batchOf(member: ChannelMember): ReplayBatch {
    let batch = this.batches.get(member);
    if (!batch) {
      batch = new ReplayBatch();
      this.batches.set(member, batch);
      member.resume.setFlush(() => this.flush(member));
    }
    return batch;
  }

  private forget(member: ChannelMember): void {
    this.batches.delete(member);
    member.resume.setFlush(null);
  }

  /**
   * A history read that fails or times out can't show nothing was missed: it reports a gap. The
   * barrier makes every message published before the read reach the hub first, so no live copy
   * of a replayed event arrives after the replay was written.
   */
  private async read(channel: string, since: string | null): Promise<HistoryQuery> {
    if (!since) return { events: [], gap: true };
    try {
      const query = await this.source.history(channel, since);
      await this.source.barrier?.();
      return query;
    } catch (error) {
      this.logger.warn(BROADCAST_MESSAGES.replayFailed(channel, describeError(error).message));
      return { events: [], gap: true };
    }
  }

  private settle(member: ChannelMember, batch: ReplayBatch): void {
    if (batch.pending > 0 || this.batches.get(member) !== batch) return;
    if (!member.resume.connecting) {
      this.flush(member);
      return;
    }
    if (batch.quietCheckScheduled) return;
    batch.quietCheckScheduled = true;
    setImmediate(() => {
      batch.quietCheckScheduled = false;
      if (this.batches.get(member) === batch) this.flush(member);
    });
  }
}

const toFrame = (bytes: Buffer) => new OutgoingFrame(bytes);

/**
 * The id to replay `channel` from: its counter's part of the member's `Last-Event-ID` (a plain id
 * is a position of one part). `null`: the position never saw that counter — a gap.
 */
function sinceFor(source: HistorySource, member: ChannelMember, channel: string): string | null {
  const since = ResumePosition.parse(member.lastEventId)?.since(source.historyCounterOf?.(channel));
  return since ? formatEventId(since) : null;
}
