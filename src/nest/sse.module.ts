import { Module, type DynamicModule, type FactoryProvider } from '@nestjs/common';
import { BroadcastService } from '../broadcast/index.js';
import { SSE_CORE, SSE_ROOT, type SseCore } from './sse-core.js';
import { SseCoreModule } from './sse-core.module.js';
import {
  SSE_ASYNC_OPTIONS_TYPE,
  SSE_OPTIONS_TYPE,
  SseConfigurableModule,
} from './sse-module-definition.js';
import { SseRuntime } from './sse-runtime.js';
import { SseMetrics } from './sse-metrics.js';
import { SseHealthIndicator } from './sse-health.indicator.js';
import { SSE_MESSAGES } from './sse.messages.js';

/** A public provider taken from the app's one `SseModule.forRoot()`. */
function fromCore<T>(token: Function, pick: (core: SseCore) => T): FactoryProvider<T> {
  return {
    provide: token,
    useFactory: (core: SseCore | undefined) => {
      if (!core) throw new Error(SSE_MESSAGES.missingForRoot);
      return pick(core);
    },
    inject: [{ token: SSE_CORE, optional: true }],
  };
}

/** Moves the options (and `forRootAsync`'s imports) into the one core of the app. */
function withCore({ module, global, imports = [], providers = [] }: DynamicModule): DynamicModule {
  const root: DynamicModule = {
    module,
    global,
    imports: [{ module: SseCoreModule, global: true, imports, providers }],
  };
  return Object.defineProperty(root, SSE_ROOT, { value: true });
}

/**
 * Serves every `@SseEndpoint` provider of the app and provides `BroadcastService`, `SseMetrics`
 * and `SseHealthIndicator`. Import `SseModule.forRoot()` (or `forRootAsync`) once, in the root
 * module; it is global by default. With `isGlobal: false`, import plain `SseModule` in the other
 * modules that inject its services.
 *
 * ```ts
 * @Module({ imports: [SseModule.forRoot({ keepalive: 30 })], providers: [Notifications] })
 * export class AppModule {}
 * ```
 */
@Module({
  providers: [
    fromCore(BroadcastService, (core) => core.runtime.broadcast),
    fromCore(SseRuntime, (core) => core.runtime),
    fromCore(SseMetrics, (core) => core.metrics),
    fromCore(SseHealthIndicator, (core) => core.health),
  ],
  exports: [BroadcastService, SseRuntime, SseMetrics, SseHealthIndicator],
})
export class SseModule extends SseConfigurableModule {
  /** Registers the module; every option is optional (`forRoot()` = in-memory, no keepalive). */
  static override forRoot(options: typeof SSE_OPTIONS_TYPE = {}): DynamicModule {
    return withCore(super.forRoot(options));
  }

  /** Registers the module with options from a factory (e.g. `ConfigService`). */
  static override forRootAsync(options: typeof SSE_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withCore(super.forRootAsync(options));
  }
}
