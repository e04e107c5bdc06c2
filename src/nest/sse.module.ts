import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BroadcastService } from '../broadcast/index.js';
import { SseEndpointExplorer } from './sse-endpoint.explorer.js';
import { SseMetadataAccessor } from './sse-metadata.accessor.js';
import {
  SSE_MODULE_OPTIONS,
  SSE_OPTIONS_TYPE,
  SseConfigurableModule,
} from './sse-module-definition.js';
import type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import { SseRuntime } from './sse-runtime.js';
import { SseMetrics } from './sse-metrics.js';
import { SseHealthIndicator } from './sse-health.indicator.js';
import { registerPrometheusMetrics } from './prometheus-metrics.js';

/**
 * Serves every `@SseEndpoint` provider of the app and provides `BroadcastService`.
 * Global by default (`isGlobal: false` to opt out).
 *
 * ```ts
 * @Module({ imports: [SseModule.forRoot({ keepalive: 30 })], providers: [Notifications] })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    SseMetadataAccessor,
    SseEndpointExplorer,
    {
      provide: SseRuntime,
      useFactory: (options: SseModuleOptions) => SseRuntime.create(options),
      inject: [SSE_MODULE_OPTIONS],
    },
    {
      provide: BroadcastService,
      useFactory: (runtime: SseRuntime) => runtime.broadcast,
      inject: [SseRuntime],
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
  ],
  exports: [BroadcastService, SseRuntime, SseMetrics, SseHealthIndicator],
})
export class SseModule extends SseConfigurableModule {
  /** Registers the module; every option is optional (`forRoot()` = in-memory, no keepalive). */
  static override forRoot(options: typeof SSE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
