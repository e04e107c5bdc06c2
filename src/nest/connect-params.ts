import type { ApplicationConfig, ExternalContextCreator } from '@nestjs/core';
import type { SseEndpointHooks } from '../connection/index.js';
import { PIPES_METADATA, ROUTE_ARGS_METADATA, RouteParamsFactory } from './nest-internals.js';
import { SSE_MESSAGES } from './sse.messages.js';

/** Resolves the decorated parameters of `onConnect` after `sse`, for one request. */
export type ConnectParamsResolver = (req: unknown, res: unknown) => Promise<unknown[]>;

/**
 * Nest's parameter decorators on `onConnect(sse, @Body() body: ChatDto, …)`, resolved as for a
 * controller handler: the values are read from the request by Nest's `RouteParamsFactory` and go
 * through the pipes (global, the endpoint class's `@UsePipes`, `onConnect`'s `@UsePipes`, the
 * parameter's own). A pipe that throws (a `ValidationPipe`'s 400) refuses the request before the
 * stream opens. `null` when `onConnect` has no decorated parameter: nothing to resolve.
 */
export function createConnectParamsResolver(
  contextCreator: ExternalContextCreator,
  config: ApplicationConfig,
  instance: SseEndpointHooks,
  name: string,
): ConnectParamsResolver | null {
  const onConnect = instance.onConnect;
  if (typeof onConnect !== 'function') return null;
  const params = Reflect.getMetadata(ROUTE_ARGS_METADATA, instance.constructor, 'onConnect') as
    Record<string, { index: number }> | undefined;
  if (!params || Object.keys(params).length === 0) return null;
  if (Object.values(params).some(({ index }) => index === 0)) {
    throw new Error(SSE_MESSAGES.connectParamOnSse(name));
  }
  // Nest calls this with the resolved values in place of the handler; index 0 (`sse`) stays null.
  const collect = (...resolved: unknown[]) => resolved.slice(1);
  // The method's own @UsePipes() are read from the callback Nest is given.
  const methodPipes = Reflect.getMetadata(PIPES_METADATA, onConnect) as unknown;
  if (methodPipes) Reflect.defineMetadata(PIPES_METADATA, methodPipes, collect);
  const routeParams = new RouteParamsFactory(config);
  const resolve = contextCreator.create(
    instance as object,
    collect as (...args: unknown[]) => unknown,
    'onConnect',
    ROUTE_ARGS_METADATA,
    {
      // ExternalContextCreator hands over the route handler's arguments as they came.
      exchangeKeyForValue: (type, data, [req, res]: unknown[]) =>
        routeParams.exchangeKeyForValue(type, data as string, {
          req: req as Record<string, unknown>,
          res,
          next: () => undefined,
        }),
    },
    undefined,
    undefined,
    // Guards, interceptors and filters already wrap the whole request.
    { guards: false, interceptors: false, filters: false },
  );
  return resolve as ConnectParamsResolver;
}
