import type { SseHealthIndicator } from './sse-health.indicator.js';
import type { SseMetrics } from './sse-metrics.js';
import type { SseRuntime } from './sse-runtime.js';

/** What one `SseModule.forRoot()` shares with every module that imports `SseModule`. @internal */
export interface SseCore {
  runtime: SseRuntime;
  metrics: SseMetrics;
  health: SseHealthIndicator;
}

/** The private token of {@link SseCore}: only `SseModule` injects it. @internal */
export const SSE_CORE = Symbol('SseCore');

/** Marks the dynamic module `SseModule.forRoot()` returns, to find who imports it. @internal */
export const SSE_ROOT = Symbol('SseRoot');
