import type { SseDisconnectReason } from './disconnect-reason.js';
import type { OutgoingFrame } from './outgoing-frame.js';
import type { ResumeState } from './resume-state.js';

/** What the channels hold of a connection: the library's side of it, never the user's facade. */
export interface ChannelMember {
  readonly id: string;
  /** The validated `Last-Event-ID`, or `null`. */
  readonly lastEventId: string | null;
  readonly closed: boolean;
  readonly resume: ResumeState;
  /** The broadcast hot path: writes a frame encoded once for every member. */
  deliver(frame: OutgoingFrame): void;
  /**
   * Writes a block that only moves the client's last event ID (`id: …\n\n`, no data): not an
   * event, so not counted as one; skipped like a broadcast while a slow consumer drops them.
   */
  deliverPosition(frame: OutgoingFrame): void;
  /** Ends the stream (the channels decided it, e.g. `'missed-events'`). */
  terminate(reason: SseDisconnectReason): void;
}

/**
 * How a connection joins and leaves broadcast channels. The broadcast layer implements it; the
 * connection layer only holds this interface, so it works with or without broadcasting.
 */
export interface ChannelMembership {
  /** Resolves once the connection is live on the channel (and what it missed was read). */
  join(member: ChannelMember, channel: string): Promise<void>;
  leave(member: ChannelMember, channel: string): void;
  /** Writes the channel's events after `sinceId`; resolves with `true` when some may be missing. */
  replay(member: ChannelMember, channel: string, sinceId: string): Promise<boolean>;
}
