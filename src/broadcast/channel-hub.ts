import {
  OutgoingFrame,
  describeError,
  type ChannelMember,
  type ChannelMembership,
  type SseLogger,
} from '../connection/index.js';
import { ConnectionPositions, bodyOf } from './history/connection-positions.js';
import { formatEventId, laterOf, parseEventId, type EventId } from './history/event-id.js';
import {
  LiveCatchUp,
  type HeldLiveFrame,
  type LateJoiner,
  type LiveGapPolicy,
} from './history/live-catch-up.js';
import type { ReplayItem } from './history/merge-replay.js';
import { ResumePosition } from './history/resume-position.js';
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
  /** Members whose history channels span id counters: each frame is followed by their position. */
  spanning: Set<ChannelMember> | null;
  /** Members that joined (or wrote their replay) while held: the catch-up must not repeat it. */
  lateJoiners: Map<ChannelMember, LateJoiner> | null;
  readonly keepsHistory: boolean;
  /** A history channel that carried an event published with `history: false` (not replayable). */
  carriesLiveOnly: boolean;
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
  /**
   * Per id counter, the id of the last history event received (ids of one counter are in one
   * order; those of different counters are never compared).
   */
  private readonly lastSeenIds = new Map<number | undefined, string>();
  /** `lastSeenIds` when the subscription broke: anything missed comes after them. */
  private interruptedAfter = new Map<number | undefined, string>();
  /** Between the break and the resubscription: new history channels are held from the start. */
  private interruptedNow = false;
  private readonly positions = new ConnectionPositions();
  /** Channels each connection is in, so `connectionCount` is O(1). */
  private readonly channelCounts = new Map<ChannelMember, number>();
  /** Told each time a channel's member count changes (presence), if anyone listens. */
  private countChanged: ((channel: string) => void) | null = null;

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
        // What it got, or, replayed nothing newer, what it said it had (its Last-Event-ID).
        release: (channel, member, batch) =>
          this.release(
            channel,
            member,
            batch && laterOf(batch.newestId(channel), this.resumedAfter(member, channel)),
          ),
      },
      logger,
      this.positions,
    );
    this.catchUp = new LiveCatchUp(
      transport,
      {
        members: (channel) => this.channels.get(channel)?.members,
        deliver: (member, frame, id) => this.positions.deliver(member, frame, id),
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
      (channel, frame, except, id, parsedId) => this.deliver(channel, frame, except, id, parsedId),
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
    if (added) this.addMember(state, connection, channel);
    const keepsHistory = this.transport.keepsHistory(channel);
    const replays = connection.resume.takeReplayRequest(channel, keepsHistory);
    if (added && !replays) this.noteLateJoiner(channel, state, connection, null);
    const joined = replays ? this.replays.collect(connection, channel, subscribed) : subscribed;
    const positioned = keepsHistory ? this.trackPosition(connection, channel, subscribed) : null;
    if (!positioned) return joined;
    // A replay being collected waits for it too: channels joined one after another still replay as one.
    this.replays.during(connection, positioned);
    return Promise.all([joined, positioned]).then(() => undefined);
  }

  /** Writes the events of `channel` after `sinceId`; resolves with `true` when some may be missing. */
  async replay(connection: ChannelMember, channel: string, sinceId: string): Promise<boolean> {
    if (!this.transport.keepsHistory(channel)) return true;
    const counter = this.transport.historyCounterOf?.(channel);
    const since = ResumePosition.parse(sinceId)?.since(counter);
    if (!since) return true;
    const { events, gap } = await this.transport.history(channel, formatEventId(since));
    for (const event of events)
      this.positions.deliver(connection, new OutgoingFrame(event.frame), event.id);
    return gap;
  }

  leave(connection: ChannelMember, channel: string): void {
    const state = this.channels.get(channel);
    if (!state?.members.delete(connection)) return;
    this.countLeft(connection);
    this.countChanged?.(channel);
    for (const stopped of this.positions.left(connection, channel))
      this.channels.get(stopped)?.spanning?.delete(connection);
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

  /** Calls `listener` with a channel each time its member count changes (one listener). */
  watch(listener: (channel: string) => void): void {
    this.countChanged = listener;
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
    parsedId?: EventId,
  ): void {
    if (id !== undefined)
      this.lastSeenIds.set(
        parsedId ? parsedId.counter : this.transport.historyCounterOf?.(channel),
        id,
      );
    const state = this.channels.get(channel);
    if (!state) return;
    if (id === undefined && state.keepsHistory) state.carriesLiveOnly = true;
    const frame = new OutgoingFrame(bytes);
    if (state.catchingUp) {
      state.catchingUp.push({ id, frame: { frame, except } });
      // A member replaying meanwhile gets it in its batch too: its replay is complete on its own.
      if (state.replaying)
        for (const [member, batch] of state.replaying)
          if (!except || !except.includes(member.id)) batch.hold(channel, frame, id);
      return;
    }
    if (state.spanning && id !== undefined) {
      this.deliverWithPositions(channel, state, frame, except, id, parsedId);
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
    this.positions.clear();
    this.channels.clear();
    this.subscriptions.clear();
    this.channelCounts.clear();
    return this.transport.close();
  }

  /** Holds every history channel's live frames until the catch-up after resubscribing. */
  private interrupted(): void {
    this.interruptedAfter = new Map(this.lastSeenIds);
    this.interruptedNow = true;
    for (const [channel, state] of this.channels)
      if (this.transport.keepsHistory(channel)) state.catchingUp ??= [];
  }

  /** Every local channel catches up (the transport resubscribed all it was subscribed to). */
  private resubscribed(): void {
    const since = this.interruptedAfter;
    this.interruptedNow = false;
    for (const channel of this.channels.keys()) {
      const counter = this.transport.historyCounterOf?.(channel);
      const liveOnly = this.channels.get(channel)?.carriesLiveOnly ?? false;
      this.catchUp.run(channel, since.get(counter), liveOnly).catch((error: unknown) => {
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

  /**
   * A frame on a channel some of whose members span id counters: they get its body (parsed and
   * cut once, shared) after their own position line; the others, and members replaying (held),
   * as usual.
   */
  private deliverWithPositions(
    channel: string,
    state: ChannelState,
    frame: OutgoingFrame,
    except: readonly string[] | undefined,
    idText: string,
    parsedId: EventId | undefined,
  ): void {
    const id = parsedId ?? parseEventId(idText);
    const body = bodyOf(frame);
    for (const member of state.members) {
      if (except && except.includes(member.id)) continue;
      const batch = state.replaying?.get(member);
      if (batch) batch.hold(channel, frame, idText);
      else if (state.spanning!.has(member)) this.positions.deliver(member, frame, id, body);
      else member.deliver(frame);
    }
  }

  /**
   * Keeps `connection`'s resume position when its history channels span id counters. A counter
   * it has not received from yet gets its current head, read once the subscription is active and
   * followed by the barrier (so every event up to the head has reached the hub), and applied after
   * a pending replay is written: positions only move forward, over events the client has.
   */
  private trackPosition(
    connection: ChannelMember,
    channel: string,
    subscribed: Promise<void>,
  ): Promise<void> | null {
    const counter = this.transport.historyCounterOf?.(channel);
    // One counter for every channel (memory, one Redis by default): a frame's id is the position.
    if (counter === undefined) return null;
    const { spanning, heads } = this.positions.joined(connection, channel, counter);
    for (const name of spanning) (this.stateOf(name).spanning ??= new Set()).add(connection);
    const readHead = this.transport.historyHead?.bind(this.transport);
    if (heads.length === 0 || !readHead) return null;
    return (async () => {
      try {
        await subscribed;
        const ids = await Promise.all(heads.map((head) => readHead(head)));
        await this.transport.barrier?.();
        const parsed = ids.map((id) => parseEventId(id)).filter((id) => id !== null);
        this.replays.whenFlushed(connection, () => this.positions.moveToHeads(connection, parsed));
      } catch (error) {
        // Without the head its channels resume with `replayGap: true`: honest, and logged.
        this.logger.warn(
          BROADCAST_MESSAGES.positionHeadFailed(channel, describeError(error).message),
        );
      }
    })();
  }

  /** The id `member` resumed `channel` after (its `Last-Event-ID` for the channel's counter). */
  private resumedAfter(member: ChannelMember, channel: string): EventId | null {
    const counter = this.transport.historyCounterOf?.(channel);
    return ResumePosition.parse(member.lastEventId)?.since(counter) ?? null;
  }

  /** `member`'s replay of `channel` ends; `after`: the newest id it has, if known. */
  private release(channel: string, member: ChannelMember, after?: EventId | null): void {
    const state = this.channels.get(channel);
    if (!state?.replaying) return;
    state.replaying.delete(member);
    if (state.replaying.size === 0) state.replaying = null;
    if (after !== undefined) this.noteLateJoiner(channel, state, member, after);
  }

  /**
   * While the channel is held, what a member got on its own must not come again: the catch-up
   * gives it what is after its replay's newest id or, without one, after the newest id this
   * worker had received of the channel's id counter when it joined (what was held until then is
   * in its replay, or before it).
   */
  private noteLateJoiner(
    channel: string,
    state: ChannelState,
    member: ChannelMember,
    after: EventId | null,
  ): void {
    if (!state.catchingUp) return;
    const seen = this.lastSeenIds.get(this.transport.historyCounterOf?.(channel));
    const point = after ?? (seen ? parseEventId(seen) : null);
    (state.lateJoiners ??= new Map()).set(member, { after: point, from: state.catchingUp.length });
  }

  private addMember(state: ChannelState, connection: ChannelMember, channel: string): void {
    state.members.add(connection);
    this.channelCounts.set(connection, (this.channelCounts.get(connection) ?? 0) + 1);
    this.countChanged?.(channel);
  }

  private countLeft(connection: ChannelMember): void {
    const left = (this.channelCounts.get(connection) ?? 1) - 1;
    if (left === 0) this.channelCounts.delete(connection);
    else this.channelCounts.set(connection, left);
  }

  private stateOf(channel: string): ChannelState {
    let state = this.channels.get(channel);
    if (!state) {
      const keepsHistory = this.transport.keepsHistory(channel);
      state = {
        members: new Set(),
        replaying: null,
        catchingUp: this.interruptedNow && keepsHistory ? [] : null,
        spanning: null,
        lateJoiners: null,
        keepsHistory,
        carriesLiveOnly: false,
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
