import {
  OutgoingFrame,
  describeError,
  type ChannelMember,
  type ChannelMembership,
  type SseLogger,
} from '../connection/index.js';
import { parseEventId, type EventId } from './history/event-id.js';
import {
  LiveCatchUp,
  type HeldLiveFrame,
  type LateJoiner,
  type LiveGapPolicy,
} from './history/live-catch-up.js';
import type { ReplayItem } from './history/merge-replay.js';
import type { ReplayBatch } from './history/replay-batch.js';
import { ReplayCoordinator } from './history/replay-coordinator.js';
import type { SseTransport } from './sse-transport.js';
import { BROADCAST_MESSAGES } from './broadcast.messages.js';

interface ChannelState {
  readonly members: Set<ChannelMember>;
  /** Members replaying history: their live frames are held in their batch until it is written. */
  replaying: Map<ChannelMember, ReplayBatch> | null;
  /** While this worker catches up after a resubscription: every live frame, held. */
  catchingUp: ReplayItem<HeldLiveFrame>[] | null;
  /** Members that joined (or wrote their replay) while held: the catch-up must not repeat it. */
  lateJoiners: Map<ChannelMember, LateJoiner> | null;
}

/**
 * The members of every channel in this process. Subscribes the transport to a channel when its
 * first local member joins and unsubscribes when the last leaves; hands each message's frame,
 * encoded once, to every member; replays history to members that join with a `Last-Event-ID`.
 */
export class ChannelHub implements ChannelMembership {
  private readonly channels = new Map<string, ChannelState>();
  private readonly subscriptions = new Map<string, Promise<void>>();
  private readonly replays: ReplayCoordinator;
  private readonly catchUp: LiveCatchUp;
  /** The id of the last history event received (ids of all channels are in one order). */
  private lastSeenId: string | undefined;
  /** `lastSeenId` when the subscription broke: anything missed comes after it. */
  private interruptedAfter: string | undefined;
  /** Between the break and the resubscription: new history channels are held from the start. */
  private interruptedNow = false;
  /** Channels each connection is in, so `connectionCount` is O(1). */
  private readonly channelCounts = new Map<ChannelMember, number>();

  constructor(
    private readonly transport: SseTransport,
    private readonly logger: SseLogger,
    liveGap: LiveGapPolicy = 'log',
  ) {
    this.replays = new ReplayCoordinator(
      transport,
      {
        hold: (channel, member, batch) =>
          (this.channels.get(channel)!.replaying ??= new Map()).set(member, batch),
        release: (channel, member, batch) =>
          this.release(channel, member, batch && batch.newestId(channel)),
      },
      logger,
    );
    this.catchUp = new LiveCatchUp(
      transport,
      {
        members: (channel) => this.channels.get(channel)?.members,
        hold: (channel) => {
          const state = this.channels.get(channel);
          if (state) state.catchingUp ??= [];
        },
        release: (channel) => {
          const state = this.channels.get(channel);
          const released = {
            held: state?.catchingUp ?? [],
            late: state?.lateJoiners ?? null,
            replaying: state?.replaying ?? null,
          };
          if (state) {
            state.catchingUp = null;
            state.lateJoiners = null;
          }
          return released;
        },
      },
      logger,
      liveGap,
    );
  }

  /** Members told they may have missed events after a resubscription (see `liveGap`). */
  get liveGaps(): number {
    return this.catchUp.gaps;
  }

  /** Connects the transport to this hub. */
  start(): Promise<void> {
    return this.transport.start(
      (channel, frame, except, id) => this.deliver(channel, frame, except, id),
      this.logger,
      {
        interrupted: () => this.interrupted(),
        resubscribed: () => this.resubscribed(),
      },
    );
  }

  /**
   * Joins; on a channel with history, and for a connection that came with a `Last-Event-ID`,
   * first collects what it missed (see {@link ReplayCoordinator}).
   */
  join(connection: ChannelMember, channel: string): Promise<void> {
    const state = this.stateOf(channel);
    const subscribed = this.subscribe(channel);
    const added = !state.members.has(connection);
    if (added) this.addMember(state, connection);
    if (!connection.resume.takeReplayRequest(channel, this.transport.keepsHistory(channel))) {
      if (added) this.noteLateJoiner(state, connection, null);
      return subscribed;
    }
    return this.replays.collect(connection, channel, subscribed);
  }

  /** Writes the events of `channel` after `sinceId`; resolves with `true` when some may be missing. */
  async replay(connection: ChannelMember, channel: string, sinceId: string): Promise<boolean> {
    if (!this.transport.keepsHistory(channel)) return true;
    const { events, gap } = await this.transport.history(channel, sinceId);
    for (const event of events) connection.deliver(new OutgoingFrame(event.frame));
    return gap;
  }

  leave(connection: ChannelMember, channel: string): void {
    const state = this.channels.get(channel);
    if (!state?.members.delete(connection)) return;
    this.countLeft(connection);
    state.lateJoiners?.delete(connection);
    if (state.replaying?.has(connection)) this.replays.drop(connection, channel);
    if (state.members.size > 0) return;
    this.channels.delete(channel);
    this.subscriptions.delete(channel);
    this.transport.unsubscribe(channel).catch((error: unknown) => {
      this.logger.warn(BROADCAST_MESSAGES.unsubscribeFailed(channel, describeError(error).message));
    });
  }

  /** Local members of `channel`. */
  count(channel: string): number {
    return this.channels.get(channel)?.members.size ?? 0;
  }

  /** Local connections in at least one channel. */
  connectionCount(): number {
    return this.channelCounts.size;
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
    if (id !== undefined) this.lastSeenId = id;
    const state = this.channels.get(channel);
    if (!state) return;
    const frame = new OutgoingFrame(bytes);
    if (state.catchingUp) {
      state.catchingUp.push({ id, frame: { frame, except } });
      // A member replaying meanwhile gets it in its batch too: its replay is complete on its own.
      if (state.replaying)
        for (const [member, batch] of state.replaying)
          if (!except || !except.includes(member.id)) batch.hold(channel, frame, id);
      return;
    }
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
    this.replays.clear();
    this.channels.clear();
    this.subscriptions.clear();
    this.channelCounts.clear();
    return this.transport.close();
  }

  /** Holds every history channel's live frames until the catch-up after resubscribing. */
  private interrupted(): void {
    this.interruptedAfter = this.lastSeenId;
    this.interruptedNow = true;
    for (const [channel, state] of this.channels)
      if (this.transport.keepsHistory(channel)) state.catchingUp ??= [];
  }

  /** Every local channel catches up (the transport resubscribed all it was subscribed to). */
  private resubscribed(): void {
    const since = this.interruptedAfter;
    this.interruptedNow = false;
    for (const channel of this.channels.keys()) {
      this.catchUp.run(channel, since).catch((error: unknown) => {
        this.logger.warn(BROADCAST_MESSAGES.catchUpFailed(channel, describeError(error).message));
      });
    }
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

  /** `member`'s replay of `channel` ends; `after`: the newest id it was written, if written. */
  private release(channel: string, member: ChannelMember, after?: EventId | null): void {
    const state = this.channels.get(channel);
    if (!state?.replaying) return;
    state.replaying.delete(member);
    if (state.replaying.size === 0) state.replaying = null;
    if (after !== undefined) this.noteLateJoiner(state, member, after);
  }

  /**
   * While the channel is held, what a member got on its own must not come again: the catch-up
   * gives it what is after its replay's newest id or, without one, after the newest id this
   * worker had received when it joined (what was held until then is in its replay, or before it).
   */
  private noteLateJoiner(state: ChannelState, member: ChannelMember, after: EventId | null) {
    if (!state.catchingUp) return;
    const point = after ?? (this.lastSeenId ? parseEventId(this.lastSeenId) : null);
    (state.lateJoiners ??= new Map()).set(member, { after: point, from: state.catchingUp.length });
  }

  private addMember(state: ChannelState, connection: ChannelMember): void {
    state.members.add(connection);
    this.channelCounts.set(connection, (this.channelCounts.get(connection) ?? 0) + 1);
  }

  private countLeft(connection: ChannelMember): void {
    const left = (this.channelCounts.get(connection) ?? 1) - 1;
    if (left === 0) this.channelCounts.delete(connection);
    else this.channelCounts.set(connection, left);
  }

  private stateOf(channel: string): ChannelState {
    let state = this.channels.get(channel);
    if (!state) {
      const held = this.interruptedNow && this.transport.keepsHistory(channel);
      state = {
        members: new Set(),
        replaying: null,
        catchingUp: held ? [] : null,
        lateJoiners: null,
      };
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
