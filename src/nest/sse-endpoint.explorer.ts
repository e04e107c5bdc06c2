import {
  HttpException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  type OnModuleInit,
} from '@nestjs/common';
import {
  ApplicationConfig,
  BaseExceptionFilter,
  DiscoveryService,
  ExternalContextCreator,
  HttpAdapterHost,
} from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import {
  EndpointRunner,
  SseConnection,
  type ResolvedEndpointOptions,
  type SseEndpointHooks,
} from '../connection/index.js';
import { platformFor, type SsePlatform } from './adapters/index.js';
import type { SseEndpointMetadata } from './decorators/sse-endpoint.decorator.js';
import type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import { SSE_MODULE_OPTIONS } from './sse-module-definition.js';
import { SSE_MESSAGES } from './sse.messages.js';
import { SseMetadataAccessor } from './sse-metadata.accessor.js';
import { SseRuntime } from './sse-runtime.js';

/** Seconds a client is told to wait (`Retry-After`) when refused during shutdown. */
const SHUTDOWN_RETRY_AFTER = '5';

/**
 * Finds every `@SseEndpoint` provider at `onModuleInit` and serves it as a `GET` route of the
 * app's HTTP adapter, through Nest's guards, interceptors and exception filters.
 */
@Injectable()
export class SseEndpointExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly accessor: SseMetadataAccessor,
    private readonly runtime: SseRuntime,
    private readonly httpAdapterHost: HttpAdapterHost,
    private readonly applicationConfig: ApplicationConfig,
    private readonly contextCreator: ExternalContextCreator,
    @Inject(SSE_MODULE_OPTIONS) private readonly options: SseModuleOptions,
  ) {}

  onModuleInit(): void {
    const httpAdapter = this.httpAdapterHost?.httpAdapter;
    if (!httpAdapter) return; // an application context without HTTP: nothing to serve
    const platform = platformFor(httpAdapter.getType());
    const routes = new Map<string, string>();
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = (wrapper.instance?.constructor ?? wrapper.metatype) as Function | undefined;
      const metadata = this.accessor.getEndpoint(metatype);
      if (!metadata) continue;
      const name = metatype!.name;
      if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient)
        throw new Error(SSE_MESSAGES.requestScoped(name));
      const instance = wrapper.instance as SseEndpointHooks;
      if (!instance || seen.has(instance)) continue;
      seen.add(instance);
      if (typeof metadata.path !== 'string') throw new Error(SSE_MESSAGES.invalidPath(name));
      const fullPath = this.routePath(metadata.path);
      const clash = routes.get(fullPath);
      if (clash) throw new Error(SSE_MESSAGES.duplicatePath(fullPath, clash, name));
      routes.set(fullPath, name);
      const runner = new EndpointRunner(
        name,
        metadata.path,
        instance,
        this.resolve(metadata),
        this.runtime,
      );
      platform.route(httpAdapter, fullPath, this.createHandler(platform, runner, instance));
      this.runtime.logger.log(SSE_MESSAGES.routed(name, fullPath));
    }
  }

  private resolve({ options }: SseEndpointMetadata): ResolvedEndpointOptions {
    return {
      keepalive: options.keepalive ?? this.options.keepalive ?? 0,
      retry: options.retry ?? this.options.retry,
      connectionClass: options.connectionClass ?? this.options.connectionClass ?? SseConnection,
    };
  }

  private routePath(path: string): string {
    const prefix = this.applicationConfig.getGlobalPrefix().replace(/^\/+|\/+$/g, '');
    const route = path.replace(/^\/+/, '');
    const joined = '/' + [prefix, route].filter(Boolean).join('/');
    return joined.length > 1 ? joined.replace(/\/+$/, '') : joined;
  }

  private createHandler(platform: SsePlatform, runner: EndpointRunner, instance: SseEndpointHooks) {
    const runtime = this.runtime;
    // Guards, interceptors and filters see this function as the route handler.
    const handleSseRequest = async (req: unknown, res: unknown): Promise<void> => {
      if (!runtime.isAccepting) {
        platform.response(res).setHeader('Retry-After', SHUTDOWN_RETRY_AFTER);
        throw new ServiceUnavailableException(SSE_MESSAGES.shuttingDown);
      }
      const prepared = await runner.prepare(platform.request(req), platform.response(res));
      if ('rejection' in prepared) {
        const { status, message, headers } = prepared.rejection;
        for (const [header, value] of Object.entries(headers ?? {}))
          platform.response(res).setHeader(header, value);
        throw new HttpException({ statusCode: status, message }, status);
      }
      platform.takeOver(res);
      await runner.start(prepared.connection);
    };
    const handle = this.contextCreator.create(
      instance as object,
      handleSseRequest as (...args: unknown[]) => unknown,
      'handleSseRequest',
    );
    const fallback = new BaseExceptionFilter(this.httpAdapterHost.httpAdapter);
    return async (req: unknown, res: unknown): Promise<void> => {
      try {
        await handle(req, res);
      } catch (error) {
        // No exception filter answered: reply as Nest does for controllers (HttpException → JSON).
        const host = new ExecutionContextHost([req, res]);
        host.setType('http');
        fallback.catch(error, host);
      }
    };
  }
}
