import type { SseConnection } from './sse-connection.js';

/**
 * How a connection joins and leaves broadcast channels. The broadcast layer implements it; the
 * connection layer only holds this interface, so it works with or without broadcasting.
 */
export interface ChannelMembership {
  /** Resolves once the connection is live on the channel (and has been sent what it missed). */
  join(connection: SseConnection, channel: string): Promise<void>;
  leave(connection: SseConnection, channel: string): void;
  /** Writes the channel's events after `sinceId`; resolves with `true` when some may be missing. */
  replay(connection: SseConnection, channel: string, sinceId: string): Promise<boolean>;
}
