import {
  ForbiddenException,
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
  ModulesContainer,
} from '@nestjs/core';
import {
  EndpointRunner,
  SseConnection,
  resolveEndpointOptions,
  type ResolvedEndpointOptions,
  type SseEndpointHooks,
} from '../connection/index.js';
import { platformFor, type SsePlatform } from './adapters/index.js';
import { EndpointRoutes } from './endpoint-routes.js';
import { HttpArgumentsHost } from './http-arguments-host.js';
import type { SseEndpointMetadata } from './decorators/sse-endpoint.decorator.js';
import type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import { SSE_MODULE_OPTIONS } from './sse-module-definition.js';
import { SSE_MESSAGES } from './sse.messages.js';
import { SseMetadataAccessor } from './sse-metadata.accessor.js';
import { SseRuntime } from './sse-runtime.js';
import { sseRoots } from './sse-roots.js';

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
    private readonly modules: ModulesContainer,
    @Inject(SSE_MODULE_OPTIONS) private readonly options: SseModuleOptions,
  ) {}

  onModuleInit(): void {
    const roots = sseRoots(this.modules);
    if (roots.count > 1) throw new Error(SSE_MESSAGES.forRootTwice(roots.count, roots.importers));
    const httpAdapter = this.httpAdapterHost?.httpAdapter;
    if (!httpAdapter) return; // an application context without HTTP: nothing to serve
    const platform = platformFor(httpAdapter.getType());
    const routes = new EndpointRoutes(this.applicationConfig);
    for (const controller of this.discovery.getControllers()) {
      if (controller.metatype) routes.addController(controller.metatype as Function);
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
      const runner = new EndpointRunner(
        name,
        metadata.path,
        instance,
        this.resolve(metadata),
        this.runtime,
      );
      const handler = this.createHandler(platform, runner, instance);
      for (const fullPath of routes.pathsOf(metadata.path, metadata.options.version)) {
        routes.claim(fullPath, name);
        platform.route(httpAdapter, fullPath, handler);
        this.runtime.logger.log(SSE_MESSAGES.routed(name, fullPath));
      }
    }
  }

  private resolve({ options }: SseEndpointMetadata): ResolvedEndpointOptions {
    return resolveEndpointOptions(options, this.options, SseConnection);
  }

  private createHandler(platform: SsePlatform, runner: EndpointRunner, instance: SseEndpointHooks) {
    // Guards, interceptors and filters see this function as the route handler.
    const handleSseRequest = async (req: unknown, res: unknown): Promise<void> => {
      const prepared = await runner.prepare(platform.request(req), platform.response(res));
      if ('rejection' in prepared) {
        const { status, message, headers } = prepared.rejection;
        for (const [header, value] of Object.entries(headers ?? {}))
          platform.response(res).setHeader(header, value);
        throw toHttpException(status, message);
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
        fallback.catch(error, new HttpArgumentsHost(req, res));
      }
    };
  }
}

/** The exception class a filter would `@Catch()` for the status (ForbiddenException for 403, …). */
function toHttpException(status: number, message: string): HttpException {
  if (status === 403) return new ForbiddenException(message);
  if (status === 503) return new ServiceUnavailableException(message);
  return new HttpException({ statusCode: status, message }, status);
}
