import {
  OutgoingFrame,
  describeError,
  type ChannelMember,
  type ChannelMembership,
  type SseLogger,
} from '../connection/index.js';
import type { HistoryQuery } from './history/history-options.js';
import { ReplayBatch } from './history/replay-batch.js';
import type { SseTransport } from './sse-transport.js';

interface ChannelState {
  readonly members: Set<ChannelMember>;
  /** Members replaying history: their live frames are held in their batch until it is written. */
  replaying: Map<ChannelMember, ReplayBatch> | null;
}

/**
 * The members of every channel in this process. Subscribes the transport to a channel when its
 * first local member joins and unsubscribes when the last leaves; hands each message's frame,
 * encoded once, to every member; replays history to members that join with a `Last-Event-ID`.
 */
export class ChannelHub implements ChannelMembership {
  private readonly channels = new Map<string, ChannelState>();
  private readonly subscriptions = new Map<string, Promise<void>>();
  private readonly batches = new Map<ChannelMember, ReplayBatch>();

  constructor(
    private readonly transport: SseTransport,
    private readonly logger: SseLogger,
  ) {}

  /** Connects the transport to this hub. */
  start(): Promise<void> {
    return this.transport.start(
      (channel, frame, except, id) => this.deliver(channel, frame, except, id),
      this.logger,
    );
  }

  /**
   * Joins; on a channel with history, and for a connection that came with a `Last-Event-ID`,
   * first collects what it missed: subscribe, hold live frames, read the history. The channels a
   * connection joins while it connects are written together, in id order, once none of their
   * joins is in flight (see {@link ChannelHub.flushReplay}); a later join's replay on its own.
   */
  async join(connection: ChannelMember, channel: string): Promise<void> {
    const state = this.stateOf(channel);
    const subscribed = this.subscribe(channel);
    state.members.add(connection);
    if (!connection.resume.takeReplayRequest(channel, this.transport.keepsHistory(channel))) {
      return subscribed;
    }
    const batch = this.batchOf(connection);
    batch.begin(channel);
    (state.replaying ??= new Map()).set(connection, batch);
    try {
      await subscribed;
      const { events, gap } = await this.readHistory(channel, connection.lastEventId);
      batch.addHistory(channel, events);
      connection.resume.noteReplay(gap);
    } finally {
      batch.pending--;
      this.settle(connection, batch);
    }
  }

  /** Writes the events of `channel` after `sinceId`; resolves with `true` when some may be missing. */
  async replay(connection: ChannelMember, channel: string, sinceId: string): Promise<boolean> {
    if (!this.transport.keepsHistory(channel)) return true;
    const { events, gap } = await this.transport.history(channel, sinceId);
    for (const event of events) connection.deliver(new OutgoingFrame(event.frame));
    return gap;
  }

  /**
   * Writes a connection's collected replay, if no join of it is in flight: history and held
   * frames of all its replaying channels, merged in id order; then its channels are live.
   */
  flushReplay(connection: ChannelMember): void {
    const batch = this.batches.get(connection);
    if (!batch || batch.pending > 0) return;
    this.batches.delete(connection);
    connection.resume.setFlush(null);
    for (const channel of batch.heldChannels()) this.endHolding(channel, connection);
    for (const frame of batch.frames(toFrame)) connection.deliver(frame);
  }

  leave(connection: ChannelMember, channel: string): void {
    const state = this.channels.get(channel);
    if (!state?.members.delete(connection)) return;
    if (state.replaying?.has(connection)) {
      this.endHolding(channel, connection);
      this.dropFromBatch(connection, channel);
    }
    if (state.members.size > 0) return;
    this.channels.delete(channel);
    this.subscriptions.delete(channel);
    this.transport.unsubscribe(channel).catch((error: unknown) => {
      this.logger.warn(
        `Unsubscribing from channel "${channel}" failed: ${describeError(error).message}`,
      );
    });
  }

  /** Local members of `channel`. */
  count(channel: string): number {
    return this.channels.get(channel)?.members.size ?? 0;
  }

  /** Channels with at least one local member. */
  channelNames(): string[] {
    return [...this.channels.keys()];
  }

  /** The hot path: the same bytes to every member, skipping the excluded ones. */
  deliver(
    channel: string,
    bytes: Buffer,
    except: readonly string[] | undefined,
    id?: string,
  ): void {
    const state = this.channels.get(channel);
    if (!state) return;
    const frame = new OutgoingFrame(bytes);
    if (!state.replaying) {
      if (!except || except.length === 0) {
        for (const member of state.members) member.deliver(frame);
      } else {
        for (const member of state.members) if (!except.includes(member.id)) member.deliver(frame);
      }
      return;
    }
    this.deliverDuringReplay(channel, state.replaying, state.members, frame, except, id);
  }

  close(): Promise<void> {
    this.batches.clear();
    this.channels.clear();
    this.subscriptions.clear();
    return this.transport.close();
  }

  private deliverDuringReplay(
    channel: string,
    replaying: Map<ChannelMember, ReplayBatch>,
    members: Set<ChannelMember>,
    frame: OutgoingFrame,
    except: readonly string[] | undefined,
    id: string | undefined,
  ): void {
    for (const member of members) {
      if (except && except.includes(member.id)) continue;
      const batch = replaying.get(member);
      if (batch) batch.hold(channel, frame, id);
      else member.deliver(frame);
    }
  }

  private batchOf(connection: ChannelMember): ReplayBatch {
    let batch = this.batches.get(connection);
    if (!batch) {
      batch = new ReplayBatch();
      this.batches.set(connection, batch);
      connection.resume.setFlush(() => this.flushReplay(connection));
    }
    return batch;
  }

  /**
   * A history read failed or timed out: the replay can't show nothing was missed, so it reports a
   * gap. The barrier makes every message published before the read reach the hub first, so no
   * live copy of a replayed event arrives after the replay was written.
   */
  private async readHistory(channel: string, since: string | null): Promise<HistoryQuery> {
    if (!since) return { events: [], gap: true };
    try {
      const query = await this.transport.history(channel, since);
      await this.transport.barrier?.();
      return query;
    } catch (error) {
      this.logger.warn(
        `Replaying channel "${channel}" failed (replayGap is true): ${describeError(error).message}`,
      );
      return { events: [], gap: true };
    }
  }

  /**
   * After a join's history was read: a join after connecting is written at once; joins while
   * connecting wait for a turn of the event loop with none in flight (or the connection's first
   * own write, or the end of `onConnect`), so `await join(a); await join(b)` replays as one.
   */
  private settle(connection: ChannelMember, batch: ReplayBatch): void {
    if (batch.pending > 0 || this.batches.get(connection) !== batch) return;
    if (!connection.resume.connecting) {
      this.flushReplay(connection);
      return;
    }
    if (batch.quietCheckScheduled) return;
    batch.quietCheckScheduled = true;
    setImmediate(() => {
      batch.quietCheckScheduled = false;
      if (this.batches.get(connection) === batch) this.flushReplay(connection);
    });
  }

  private endHolding(channel: string, connection: ChannelMember): void {
    const state = this.channels.get(channel);
    if (!state?.replaying) return;
    state.replaying.delete(connection);
    if (state.replaying.size === 0) state.replaying = null;
  }

  private dropFromBatch(connection: ChannelMember, channel: string): void {
    const batch = this.batches.get(connection);
    if (batch && batch.drop(channel) === 0 && batch.pending === 0) {
      this.batches.delete(connection);
      connection.resume.setFlush(null);
    }
  }

  private stateOf(channel: string): ChannelState {
    let state = this.channels.get(channel);
    if (!state) {
      state = { members: new Set(), replaying: null };
      this.channels.set(channel, state);
    }
    return state;
  }

  private subscribe(channel: string): Promise<void> {
    const pending = this.subscriptions.get(channel);
    if (pending) return pending;
    if (this.channels.get(channel)!.members.size > 0) return RESOLVED;
    const subscribed = this.transport.subscribe(channel);
    this.subscriptions.set(channel, subscribed);
    const settle = () => {
      if (this.subscriptions.get(channel) === subscribed) this.subscriptions.delete(channel);
    };
    subscribed.then(settle, settle);
    return subscribed;
  }
}

const RESOLVED: Promise<void> = Promise.resolve();
const toFrame = (bytes: Buffer) => new OutgoingFrame(bytes);
