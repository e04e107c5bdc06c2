import type { SseRequest, SseResponse } from '../../connection/index.js';

/**
 * The platform-specific part of serving an endpoint; everything else is shared. `req`/`res` are
 * what the platform hands a route handler (Express `Request`/`Response`, Fastify
 * `FastifyRequest`/`FastifyReply`).
 */
export interface SsePlatform {
  /** Adds `GET path` to the HTTP adapter's router. */
  route(
    httpAdapter: { get(path: string, handler: Function): unknown },
    path: string,
    handler: (req: any, res: any) => Promise<void>,
  ): void;
  request(req: any): SseRequest;
  response(res: any): SseResponse;
  /** Called just before the stream opens: from here on the library writes the raw response. */
  takeOver(res: any): void;
}
