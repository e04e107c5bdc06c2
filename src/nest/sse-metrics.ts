import type { TransportState } from '../broadcast/index.js';
import type { SseRuntime } from './sse-runtime.js';

/** What `SseMetrics.snapshot()` returns: this process's figures since the module started. */
export interface SseMetricsSnapshot {
  /** Open streams. */
  connections: number;
  /** Endpoint path pattern → open streams. */
  byEndpoint: Record<string, number>;
  eventsSent: number;
  bytesWritten: number;
  eventsDropped: number;
  slowConsumerCloses: number;
  /** Requests refused before a stream opened: limits (503/429) and shutdown. */
  rejected: number;
  /** Live streams told they may have missed events after a Redis reconnect (see `liveGap`). */
  liveGaps: number;
  transport: TransportState;
}

/** Injectable figures of the module, for dashboards, health checks and Prometheus. */
export class SseMetrics {
  constructor(private readonly runtime: SseRuntime) {}

  snapshot(): SseMetricsSnapshot {
    const { registry, counters, broadcast } = this.runtime;
    return {
      connections: registry.size,
      byEndpoint: registry.byEndpoint(),
      eventsSent: counters.eventsSent,
      bytesWritten: counters.bytesWritten,
      eventsDropped: counters.eventsDropped,
      slowConsumerCloses: counters.slowConsumerCloses,
      rejected: counters.rejected,
      liveGaps: this.runtime.channels.liveGaps,
      transport: broadcast.transportState,
    };
  }
}
