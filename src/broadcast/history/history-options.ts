import { consoleLogger, guardUserCallback, type SseLogger } from '../../connection/index.js';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';

/** `SseModule.forRoot({ history })`: keep recent events per channel for `Last-Event-ID` replay. */
export interface HistoryOptions {
  /** Events kept per channel (the newest `size`). */
  size: number;
  /**
   * Seconds an event is kept at most (default {@link DEFAULT_HISTORY_TTL}, 24 h): older events,
   * and on Redis the keys of channels idle that long, expire.
   */
  ttl?: number;
  /** Which channels keep history; default: all of them. */
  channels?: (channel: string) => boolean;
}

/** What a transport returns for a replay request. */
export interface HistoryQuery {
  /** The frames to send, oldest first, each with its `id:` line. */
  events: { id: string; frame: Buffer }[];
  /** `true` when the client may have missed events that are no longer kept, or the id is unknown. */
  gap: boolean;
}

/** The default `history.ttl`: 24 hours, in seconds. */
export const DEFAULT_HISTORY_TTL = 24 * 60 * 60;

/** History's `ttl` in milliseconds. */
export function historyTtlMs(options: HistoryOptions): number {
  return Math.round((options.ttl ?? DEFAULT_HISTORY_TTL) * 1000);
}

/**
 * Checks `size` and `ttl` (`TypeError`), and guards the application's `channels` predicate: one
 * that throws is logged and counts as "no history" for that channel.
 */
export function validateHistoryOptions(
  options: HistoryOptions | undefined,
  logger: SseLogger = consoleLogger,
): HistoryOptions | undefined {
  if (!options) return undefined;
  if (!Number.isSafeInteger(options.size) || options.size < 1) {
    throw new TypeError(BROADCAST_MESSAGES.historySize(options.size));
  }
  if (options.ttl !== undefined && !(options.ttl > 0)) {
    throw new TypeError(BROADCAST_MESSAGES.historyTtl(options.ttl));
  }
  const { channels } = options;
  if (!channels) return options;
  const guarded = (channel: string) =>
    !!guardUserCallback(logger, BROADCAST_MESSAGES.historyChannels(channel), () =>
      channels(channel),
    );
  return { ...options, channels: guarded };
}

export function keepsHistory(options: HistoryOptions | undefined, channel: string): boolean {
  return !!options && (options.channels ? options.channels(channel) : true);
}
