import {
  ForbiddenException,
  HttpException,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApplicationConfig,
  BaseExceptionFilter,
  ExternalContextCreator,
  HttpAdapterHost,
} from '@nestjs/core';
import type { EndpointRunner, SseEndpointHooks } from '../connection/index.js';
import type { SsePlatform } from './adapters/index.js';
import { createConnectParamsResolver } from './connect-params.js';
import { HttpArgumentsHost } from './http-arguments-host.js';

/** A handler the platform adapter mounts as a route. */
export type SseRouteHandler = (req: unknown, res: unknown) => Promise<void>;

/**
 * Builds the route handler of one endpoint: Nest's guards, interceptors and exception filters
 * around the endpoint's lifecycle, `onConnect`'s decorated parameters resolved through the pipes
 * (as a controller's, before anything else of the endpoint runs), and a refusal before the
 * stream opens turned into the `HttpException` a filter would `@Catch()`.
 */
@Injectable()
export class SseRouteHandlerFactory {
  constructor(
    private readonly contextCreator: ExternalContextCreator,
    private readonly httpAdapterHost: HttpAdapterHost,
    private readonly config: ApplicationConfig,
  ) {}

  create(
    platform: SsePlatform,
    runner: EndpointRunner,
    instance: SseEndpointHooks,
  ): SseRouteHandler {
    // Guards, interceptors and filters see this function as the route handler.
    const resolveParams = createConnectParamsResolver(
      this.contextCreator,
      this.config,
      instance,
      runner.name,
    );
    const handleSseRequest = async (req: unknown, res: unknown): Promise<void> => {
      // As in Nest's router: pipes run inside the interceptors, before the handler.
      const connectParams = resolveParams ? await resolveParams(req, res) : [];
      const prepared = await runner.prepare(platform.request(req), platform.response(res));
      if ('rejection' in prepared) {
        const { status, message, headers } = prepared.rejection;
        for (const [header, value] of Object.entries(headers ?? {}))
          platform.response(res).setHeader(header, value);
        throw toHttpException(status, message);
      }
      platform.takeOver(res);
      await runner.start(prepared.connection, connectParams);
    };
    const handle = this.contextCreator.create(
      instance as object,
      handleSseRequest as (...args: unknown[]) => unknown,
      'handleSseRequest',
    );
    const fallback = new BaseExceptionFilter(this.httpAdapterHost.httpAdapter);
    return async (req, res) => {
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
