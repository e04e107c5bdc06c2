import type { HistoryOptions, SseTransportOptions } from '../../broadcast/index.js';
import type { SseConnectionClass } from '../../connection/index.js';

/** Options of `SseModule.forRoot()` / `forRootAsync()`. */
export interface SseModuleOptions {
  /** Default seconds between keepalive comments for every endpoint; 0 (the default) turns them off. */
  keepalive?: number;
  /** Default `retry:` (ms) sent when a stream opens; unset sends none. */
  retry?: number;
  /** Default connection class for every endpoint. */
  connectionClass?: SseConnectionClass;
  /** `{ type: 'memory' }` (default), `{ type: 'redis', url | options | client, channelPrefix? }`, or an `SseTransport`. */
  transport?: SseTransportOptions;
  /** Milliseconds a publish (or a channel subscription) may wait for the transport. Default 5000. */
  publishTimeout?: number;
  /**
   * Keep the last `size` events of each channel (`ttl` seconds at most; `channels` picks which)
   * and replay what a reconnecting client missed. Unset: no history.
   */
  history?: HistoryOptions;
}
