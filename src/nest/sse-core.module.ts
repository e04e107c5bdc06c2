import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SseEndpointExplorer } from './sse-endpoint.explorer.js';
import { SseMetadataAccessor } from './sse-metadata.accessor.js';
import { SseRouteHandlerFactory } from './sse-route-handler.factory.js';
import { SSE_MODULE_OPTIONS } from './sse-module-definition.js';
import type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import { SseRuntime } from './sse-runtime.js';
import { SseMetrics } from './sse-metrics.js';
import { SseHealthIndicator } from './sse-health.indicator.js';
import { registerPrometheusMetrics } from './prometheus-metrics.js';
import { SSE_CORE, type SseCore } from './sse-core.js';

/**
 * The part of `SseModule.forRoot()` that must exist once per app: the runtime, the explorer that
 * serves the endpoints, the metrics. Always global, so that a plain `imports: [SseModule]` reaches
 * it, but it exports only the private {@link SSE_CORE} token: `isGlobal` still decides where
 * `BroadcastService` is injectable.
 * @internal
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    SseMetadataAccessor,
    SseRouteHandlerFactory,
    SseEndpointExplorer,
    {
      provide: SseRuntime,
      useFactory: (options: SseModuleOptions) => SseRuntime.create(options),
      inject: [SSE_MODULE_OPTIONS],
    },
    {
      provide: SseMetrics,
      useFactory: async (runtime: SseRuntime) => {
        const metrics = new SseMetrics(runtime);
        if (runtime.options.metrics?.prometheus)
          runtime.onShutdown(await registerPrometheusMetrics(metrics));
        return metrics;
      },
      inject: [SseRuntime],
    },
    {
      provide: SseHealthIndicator,
      useFactory: (metrics: SseMetrics) => new SseHealthIndicator(metrics),
      inject: [SseMetrics],
    },
    {
      provide: SSE_CORE,
      useFactory: (runtime: SseRuntime, metrics: SseMetrics, health: SseHealthIndicator) =>
        ({ runtime, metrics, health }) satisfies SseCore,
      inject: [SseRuntime, SseMetrics, SseHealthIndicator],
    },
  ],
  exports: [SSE_CORE],
})
export class SseCoreModule {}
