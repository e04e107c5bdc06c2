import {
  OutgoingFrame,
  describeError,
  type ChannelMembership,
  type SseConnection,
  type SseLogger,
} from '../connection/index.js';
import { compareEventIds, parseEventId, type EventId } from './history/event-id.js';
import type { HistoryQuery } from './history/history-options.js';
import type { SseTransport } from './sse-transport.js';

interface QueuedFrame {
  frame: OutgoingFrame;
  id: EventId | null;
}

interface ChannelState {
  readonly members: Set<SseConnection>;
  /** Members replaying history: live frames wait here until the replay is written. */
  replaying: Map<SseConnection, QueuedFrame[]> | null;
  /** Members that replayed up to an id: a late live copy at or below it is dropped. */
  floors: Map<SseConnection, EventId> | null;
}

/**
 * The members of every channel in this process. Subscribes the transport to a channel when its
 * first local member joins and unsubscribes when the last leaves; hands each message's frame,
 * encoded once, to every member; replays history to members that join with a `Last-Event-ID`.
 */
export class ChannelHub implements ChannelMembership {
  private readonly channels = new Map<string, ChannelState>();
  private readonly subscriptions = new Map<string, Promise<void>>();
  /** Channels each connection is in, so `connectionCount` is O(1). */
  private readonly channelCounts = new Map<SseConnection, number>();

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
   * first replays what it missed: subscribe, hold live frames, read the history, write it, then
   * the held frames not already replayed.
   */
  async join(connection: SseConnection, channel: string): Promise<void> {
    const state = this.stateOf(channel);
    const subscribed = this.subscribe(channel);
    if (!state.members.has(connection)) this.addMember(state, connection);
    if (!connection.takeReplayRequest(channel, this.transport.keepsHistory(channel))) {
      return subscribed;
    }
    const queue: QueuedFrame[] = [];
    (state.replaying ??= new Map()).set(connection, queue);
    let lastReplayed: EventId | null = null;
    try {
      await subscribed;
      const since = connection.lastEventId;
      const { events, gap } = since
        ? await this.transport.history(channel, since)
        : { events: [], gap: true };
      lastReplayed = writeHistory(connection, events);
      connection.noteReplay(gap);
    } finally {
      this.endReplay(state, connection, queue, lastReplayed);
    }
  }

  /** Writes the events of `channel` after `sinceId`; resolves with `true` when some may be missing. */
  async replay(connection: SseConnection, channel: string, sinceId: string): Promise<boolean> {
    if (!this.transport.keepsHistory(channel)) return true;
    const { events, gap } = await this.transport.history(channel, sinceId);
    writeHistory(connection, events);
    return gap;
  }

  leave(connection: SseConnection, channel: string): void {
    const state = this.channels.get(channel);
    if (!state?.members.delete(connection)) return;
    this.countLeft(connection);
    state.replaying?.delete(connection);
    state.floors?.delete(connection);
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
    const state = this.channels.get(channel);
    if (!state) return;
    const frame = new OutgoingFrame(bytes);
    if (!state.replaying && !state.floors) {
      if (!except || except.length === 0) {
        for (const member of state.members) member.deliver(frame);
      } else {
        for (const member of state.members) if (!except.includes(member.id)) member.deliver(frame);
      }
      return;
    }
    this.deliverDuringReplay(state, frame, except, id === undefined ? null : parseEventId(id));
  }

  close(): Promise<void> {
    this.channels.clear();
    this.subscriptions.clear();
    this.channelCounts.clear();
    return this.transport.close();
  }

  private deliverDuringReplay(
    state: ChannelState,
    frame: OutgoingFrame,
    except: readonly string[] | undefined,
    id: EventId | null,
  ): void {
    for (const member of state.members) {
      if (except && except.includes(member.id)) continue;
      const queue = state.replaying?.get(member);
      if (queue) {
        queue.push({ frame, id });
        continue;
      }
      const floor = state.floors?.get(member);
      if (floor && id) {
        if (compareEventIds(id, floor) <= 0) continue; // the late live copy of a replayed event
        this.clearFloor(state, member); // later ids are higher still
      }
      member.deliver(frame);
    }
  }

  private endReplay(
    state: ChannelState,
    connection: SseConnection,
    queue: QueuedFrame[],
    lastReplayed: EventId | null,
  ): void {
    state.replaying?.delete(connection);
    if (state.replaying?.size === 0) state.replaying = null;
    let floor = lastReplayed;
    for (const { frame, id } of queue) {
      if (floor && id) {
        if (compareEventIds(id, floor) <= 0) continue;
        floor = null;
      }
      connection.deliver(frame);
    }
    if (floor && state.members.has(connection)) (state.floors ??= new Map()).set(connection, floor);
  }

  private addMember(state: ChannelState, connection: SseConnection): void {
    state.members.add(connection);
    this.channelCounts.set(connection, (this.channelCounts.get(connection) ?? 0) + 1);
  }

  private countLeft(connection: SseConnection): void {
    const left = (this.channelCounts.get(connection) ?? 1) - 1;
    if (left === 0) this.channelCounts.delete(connection);
    else this.channelCounts.set(connection, left);
  }

  private clearFloor(state: ChannelState, member: SseConnection): void {
    state.floors!.delete(member);
    if (state.floors!.size === 0) state.floors = null;
  }

  private stateOf(channel: string): ChannelState {
    let state = this.channels.get(channel);
    if (!state) {
      state = { members: new Set(), replaying: null, floors: null };
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

/** Writes replayed events to one connection; returns the id of the last one. */
function writeHistory(connection: SseConnection, events: HistoryQuery['events']): EventId | null {
  for (const event of events) connection.deliver(new OutgoingFrame(event.frame));
  return events.length > 0 ? parseEventId(events[events.length - 1].id) : null;
}
