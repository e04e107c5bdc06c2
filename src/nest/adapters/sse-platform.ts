import type { SseMethod, SseRequest, SseResponse } from '../../connection/index.js';

/** The part of Nest's `HttpAdapter` that mounts routes (`get`, `post`, …). */
export interface RouteMounter {
  get(path: string, handler: Function): unknown;
  post(path: string, handler: Function): unknown;
  put(path: string, handler: Function): unknown;
  patch(path: string, handler: Function): unknown;
  delete(path: string, handler: Function): unknown;
}

/**
 * The platform-specific part of serving an endpoint; everything else is shared. `req`/`res` are
 * what the platform hands a route handler (Express `Request`/`Response`, Fastify
 * `FastifyRequest`/`FastifyReply`).
 */
export interface SsePlatform {
  /** Adds `method path` to the HTTP adapter's router. */
  route(
    httpAdapter: RouteMounter,
    method: SseMethod,
    path: string,
    handler: (req: any, res: any) => Promise<void>,
  ): void;
  request(req: any): SseRequest;
  response(res: any): SseResponse;
  /** Called just before the stream opens: from here on the library writes the raw response. */
  takeOver(res: any): void;
}

/** The name of the adapter's method that mounts a route for `method`. */
export function toMounter(method: SseMethod): Lowercase<SseMethod> & keyof RouteMounter {
  return method.toLowerCase() as Lowercase<SseMethod>;
}
