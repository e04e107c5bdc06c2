import type { HistoryOptions, LiveGapPolicy, SseTransportOptions } from '../../broadcast/index.js';
import type { SseEndpointOptions } from '../../connection/index.js';
import type { SseEvent } from '../../protocol/index.js';

/**
 * Options of `SseModule.forRoot()` / `forRootAsync()`. The endpoint options (`keepalive`,
 * `retry`, `connectionClass`, `maxBufferedBytes`, `slowConsumer`, `maxConnections`,
 * `maxConnectionsPerKey`, `connectionKey`, `maxLifetime`) are the defaults of every endpoint; an
 * endpoint's own option wins. Limits are counted per endpoint, in this process.
 */
export interface SseModuleOptions extends SseEndpointOptions {
  /** `{ type: 'memory' }` (default), `{ type: 'redis', url | options | client, channelPrefix? }`, or an `SseTransport`. */
  transport?: SseTransportOptions;
  /** Milliseconds a publish (or a channel subscription) may wait for the transport. Default 5000. */
  publishTimeout?: number;
  /**
   * Keep the last `size` events of each channel (`ttl` seconds at most; `channels` picks which)
   * and replay what a reconnecting client missed. Unset: no history.
   */
  history?: HistoryOptions;
  /**
   * After a Redis reconnect or failover, live streams catch up from history on channels that keep
   * it. Where they may have missed events that can't be replayed (no history, or it no longer
   * reaches back), `'log'` (default) keeps them open, `'close'` ends them (reason
   * `'missed-events'`) so their clients reconnect and resume. Counted in `SseMetrics` (`liveGaps`).
   */
  liveGap?: LiveGapPolicy;
  /** A last event sent to every stream at shutdown, where it can be written at once. */
  shutdownEvent?: SseEvent;
  /** Metrics: `{ prometheus: true }` registers them with `prom-client` (optional peer). */
  metrics?: { prometheus?: boolean };
}
