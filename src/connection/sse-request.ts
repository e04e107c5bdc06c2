import type { IncomingHttpHeaders } from 'node:http';

/** What a connection knows about the request that opened it. */
export interface SseRequestInit<Raw = unknown> {
  method: string;
  url: string;
  path: string;
  headers: IncomingHttpHeaders;
  query: Record<string, unknown>;
  params: Record<string, string>;
  ip: string | undefined;
  /** The request body as the platform's body parser left it; `undefined` when none was parsed. */
  body?: unknown;
  raw: Raw;
}

/**
 * The request of a connection: the parts an endpoint usually needs, and `raw`, the framework's
 * own request object (Express `Request`, Fastify `FastifyRequest` or `IncomingMessage`).
 */
export class SseRequest<Raw = unknown> implements SseRequestInit<Raw> {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly query: Record<string, unknown>;
  readonly params: Record<string, string>;
  readonly ip: string | undefined;
  /**
   * The parsed request body of a `POST` (`PUT`, `PATCH`, `DELETE`) endpoint, as a controller's
   * `@Body()` would see it (Nest's JSON / urlencoded parsers, or Fastify's); `undefined` for `GET`
   * and under `createSseHandler`, which parses no body (read `raw` yourself).
   */
  readonly body: unknown;
  readonly raw: Raw;

  constructor(init: SseRequestInit<Raw>) {
    this.method = init.method;
    this.url = init.url;
    this.path = init.path;
    this.headers = init.headers;
    this.query = init.query;
    this.params = init.params;
    this.ip = init.ip;
    this.body = init.body;
    this.raw = init.raw;
  }

  /**
   * `request.user` as set by a guard or middleware (Passport, JWT): on the framework request, or
   * on Node's `IncomingMessage` under it (where Express-style middleware on Fastify puts it).
   */
  get user(): unknown {
    const raw = this.raw as { user?: unknown; raw?: { user?: unknown } } | null;
    return raw?.user ?? raw?.raw?.user;
  }
}
