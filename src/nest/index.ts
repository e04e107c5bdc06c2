export { SseModule } from './sse.module.js';
export {
  SseEndpoint,
  type SseEndpointMetadata,
  type SseEndpointDecoratorOptions,
  type SseEndpointVersion,
} from './decorators/sse-endpoint.decorator.js';
export type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
export {
  SSE_MODULE_OPTIONS,
  SSE_OPTIONS_TYPE,
  SSE_ASYNC_OPTIONS_TYPE,
} from './sse-module-definition.js';
export { SseRuntime } from './sse-runtime.js';
export { SSE_ENDPOINT_METADATA } from './constants.js';
export { SseMetrics, type SseMetricsSnapshot } from './sse-metrics.js';
export {
  SseHealthIndicator,
  SseHealthCheckError,
  type SseHealthResult,
} from './sse-health.indicator.js';
