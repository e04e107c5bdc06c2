import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  ApplicationConfig,
  DiscoveryService,
  HttpAdapterHost,
  ModulesContainer,
} from '@nestjs/core';
import {
  EndpointRunner,
  SseConnection,
  isSseMethod,
  resolveEndpointOptions,
  type ResolvedEndpointOptions,
  type SseEndpointHooks,
} from '../connection/index.js';
import { platformFor } from './adapters/index.js';
import { EndpointRoutes } from './endpoint-routes.js';
import type { SseEndpointMetadata } from './decorators/sse-endpoint.decorator.js';
import type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import { SSE_MODULE_OPTIONS } from './sse-module-definition.js';
import { SSE_MESSAGES } from './sse.messages.js';
import { SseMetadataAccessor } from './sse-metadata.accessor.js';
import { SseRouteHandlerFactory } from './sse-route-handler.factory.js';
import { SseRuntime } from './sse-runtime.js';
import { sseRoots } from './sse-roots.js';

/**
 * Finds every `@SseEndpoint` provider at `onModuleInit` and serves it as a route (`GET` unless
 * its `method` says otherwise) of the app's HTTP adapter, through Nest's guards, interceptors,
 * pipes and exception filters.
 */
@Injectable()
export class SseEndpointExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly accessor: SseMetadataAccessor,
    private readonly runtime: SseRuntime,
    private readonly httpAdapterHost: HttpAdapterHost,
    private readonly applicationConfig: ApplicationConfig,
    private readonly handlerFactory: SseRouteHandlerFactory,
    private readonly modules: ModulesContainer,
    @Inject(SSE_MODULE_OPTIONS) private readonly options: SseModuleOptions,
  ) {}

  onModuleInit(): void {
    const roots = sseRoots(this.modules, this.accessor);
    if (roots.count > 1) throw new Error(SSE_MESSAGES.forRootTwice(roots.count, roots.importers));
    const httpAdapter = this.httpAdapterHost?.httpAdapter;
    if (!httpAdapter) return; // an application context without HTTP: nothing to serve
    const platform = platformFor(httpAdapter.getType());
    const routes = new EndpointRoutes(this.applicationConfig);
    for (const controller of this.discovery.getControllers()) {
      const metatype = controller.metatype as Function | undefined;
      if (metatype) routes.addControllerRoutes(this.accessor.getControllerRoutes(metatype));
    }
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = (wrapper.instance?.constructor ?? wrapper.metatype) as Function | undefined;
      const metadata = this.accessor.getEndpoint(metatype);
      if (!metadata) continue;
      const name = metatype!.name;
      if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
        throw new Error(SSE_MESSAGES.requestScoped(name));
      }
      const instance = wrapper.instance as SseEndpointHooks;
      if (!instance || seen.has(instance)) continue;
      seen.add(instance);
      if (typeof metadata.path !== 'string') throw new Error(SSE_MESSAGES.invalidPath(name));
      const method = metadata.options.method ?? 'GET';
      if (!isSseMethod(method)) throw new Error(SSE_MESSAGES.invalidMethod(name, method));
      const runner = new EndpointRunner(
        name,
        metadata.path,
        instance,
        this.resolve(metadata),
        this.runtime,
      );
      const handler = this.handlerFactory.create(platform, runner, instance);
      for (const fullPath of routes.pathsOf(metadata.path, metadata.options.version, method)) {
        routes.claim(fullPath, method, name);
        platform.route(httpAdapter, method, fullPath, handler);
        this.runtime.logger.log(SSE_MESSAGES.routed(name, method, fullPath));
      }
    }
  }

  private resolve({ options }: SseEndpointMetadata): ResolvedEndpointOptions {
    return resolveEndpointOptions(options, this.options, SseConnection);
  }
}
