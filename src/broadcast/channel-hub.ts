import {
  OutgoingFrame,
  describeError,
  type ChannelMembership,
  type SseConnection,
  type SseLogger,
} from '../connection/index.js';
import type { SseTransport } from './sse-transport.js';

/**
 * The members of every channel in this process. Subscribes the transport to a channel when its
 * first local member joins and unsubscribes when the last leaves; hands each message's frame,
 * encoded once, to every member.
 */
export class ChannelHub implements ChannelMembership {
  private readonly members = new Map<string, Set<SseConnection>>();
  private readonly subscriptions = new Map<string, Promise<void>>();

  constructor(
    private readonly transport: SseTransport,
    private readonly logger: SseLogger,
  ) {}

  /** Connects the transport to this hub. */
  start(): Promise<void> {
    return this.transport.start(
      (channel, frame, except) => this.deliver(channel, frame, except),
      this.logger,
    );
  }

  join(connection: SseConnection, channel: string): Promise<void> {
    let members = this.members.get(channel);
    if (!members) {
      members = new Set();
      this.members.set(channel, members);
      const subscribed = this.transport.subscribe(channel);
      this.subscriptions.set(channel, subscribed);
      subscribed.then(
        () => this.subscriptions.get(channel) === subscribed && this.subscriptions.delete(channel),
        () => this.subscriptions.get(channel) === subscribed && this.subscriptions.delete(channel),
      );
    }
    members.add(connection);
    return this.subscriptions.get(channel) ?? RESOLVED;
  }

  leave(connection: SseConnection, channel: string): void {
    const members = this.members.get(channel);
    if (!members?.delete(connection) || members.size > 0) return;
    this.members.delete(channel);
    this.subscriptions.delete(channel);
    this.transport.unsubscribe(channel).catch((error: unknown) => {
      this.logger.warn(
        `Unsubscribing from channel "${channel}" failed: ${describeError(error).message}`,
      );
    });
  }

  /** Local members of `channel`. */
  count(channel: string): number {
    return this.members.get(channel)?.size ?? 0;
  }

  /** Channels with at least one local member. */
  channelNames(): string[] {
    return [...this.members.keys()];
  }

  /** The hot path: the same bytes to every member, skipping the excluded ones. */
  deliver(channel: string, bytes: Buffer, except: readonly string[] | undefined): void {
    const members = this.members.get(channel);
    if (!members) return;
    const frame = new OutgoingFrame(bytes);
    if (!except || except.length === 0) {
      for (const member of members) member.deliver(frame);
      return;
    }
    for (const member of members) if (!except.includes(member.id)) member.deliver(frame);
  }

  close(): Promise<void> {
    this.members.clear();
    this.subscriptions.clear();
    return this.transport.close();
  }
}

const RESOLVED: Promise<void> = Promise.resolve();
