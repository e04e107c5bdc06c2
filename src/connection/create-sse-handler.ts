import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SseEvent } from '../protocol/index.js';
import type { ChannelMembership } from './channel-membership.js';
import type { ConnectionRegistry } from './connection-registry.js';
import { ConnectionRuntime } from './connection-runtime.js';
import type { SseEndpointHooks } from './endpoint-hooks.js';
import { resolveEndpointOptions, type SseEndpointOptions } from './endpoint-options.js';
import { RoutePattern } from './route-pattern.js';
import { EndpointRunner } from './endpoint-runner.js';
import type { SseRejection } from './connection-limits.js';
import { SseConnection } from './sse-connection.js';
import { consoleLogger, describeError, type SseLogger } from './sse-logger.js';
import { failedBeforeOpen, invalidMethod } from './connection.messages.js';
import { SseRequest } from './sse-request.js';
import { isSseMethod, type SseMethod } from './sse-method.js';

export interface SseHandlerOptions extends SseEndpointOptions {
  /**
   * The path the handler serves (other paths: `404`), its name in logs and its broadcast channel;
   * `:name` segments match one segment each and become `sse.request.params`. Unset: every path is
   * served, and the name and channel are `'/'`. Methods other than `method` get `405` either way.
   */
  path?: string;
  /**
   * The method served (default `'GET'`). With `'POST'` (`PUT`, `PATCH`, `DELETE`) the body is not
   * read: `sse.request.body` is `undefined`, and `sse.request.raw` is the unread `IncomingMessage`.
   */
  method?: SseMethod;
  /** Route params to expose as `sse.request.params`, instead of those `path` matched. */
  params?: (request: IncomingMessage) => Record<string, string>;
  /** Channels for `sse.join` — e.g. `createBroadcaster().channels`. Without it, `join` rejects. */
  channels?: ChannelMembership;
  logger?: SseLogger;
  /** A last event sent to every stream at `close()`, where it can be written at once. */
  shutdownEvent?: SseEvent;
}

/** A `node:http` request listener that serves one endpoint, plus what it needs to shut down. */
export interface SseHandler {
  (request: IncomingMessage, response: ServerResponse): void;
  /** The open connections. */
  readonly connections: ConnectionRegistry;
  /**
   * Refuses new streams (503), sends `shutdownEvent` where it can go at once, ends every stream
   * with reason `'shutdown'` (destroying those with bytes still waiting), stops the timers — as
   * `SseModule` does at `app.close()`.
   */
  close(): void;
}

/**
 * The whole endpoint lifecycle without Nest, on bare `node:http`: hooks, keepalive, retry,
 * `Last-Event-ID`, backpressure, close detection.
 *
 * ```ts
 * http.createServer(createSseHandler(new Notifications(), { keepalive: 30 })).listen(3000);
 * ```
 */
export function createSseHandler(
  endpoint: SseEndpointHooks,
  options: SseHandlerOptions = {},
): SseHandler {
  const logger = options.logger ?? consoleLogger;
  const path = options.path ?? '/';
  const method = options.method ?? 'GET';
  if (!isSseMethod(method)) throw new TypeError(invalidMethod(method));
  const methodNotAllowed: SseRejection = {
    status: 405,
    message: 'Method Not Allowed',
    headers: { Allow: method },
  };
  const route = options.path === undefined ? null : new RoutePattern(options.path);
  const runtime = new ConnectionRuntime({
    logger,
    channels: options.channels,
    shutdownEvent: options.shutdownEvent,
  });
  const runner = new EndpointRunner(
    endpoint.constructor?.name ?? 'endpoint',
    path,
    endpoint,
    resolveEndpointOptions(options, {}, SseConnection),
    runtime,
  );

  const refuse = (response: ServerResponse, rejection: SseRejection): void => {
    const { status, message, headers } = rejection;
    response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
    response.end(JSON.stringify({ statusCode: status, message }));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const matched = route ? route.match(url.pathname) : {};
    if (!matched) return refuse(response, NOT_FOUND);
    if (request.method !== method) return refuse(response, methodNotAllowed);
    const prepared = await runner.prepare(
      new SseRequest({
        method,
        url: request.url ?? '/',
        path: url.pathname,
        headers: request.headers,
        query: Object.fromEntries(url.searchParams),
        params: options.params?.(request) ?? matched,
        ip: request.socket.remoteAddress,
        raw: request,
      }),
      response,
    );
    if ('rejection' in prepared) return refuse(response, prepared.rejection);
    await runner.start(prepared.connection);
  };

  const handler = ((request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      const { message, stack } = describeError(error);
      logger.error(failedBeforeOpen(path, message), stack);
      if (!response.headersSent) {
        response.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify({ statusCode: 500, message: 'Internal server error' }));
      } else response.destroy();
    });
  }) as SseHandler;
  Object.defineProperty(handler, 'connections', { value: runtime.registry });
  handler.close = () => runtime.shutdown();
  return handler;
}

const NOT_FOUND: SseRejection = { status: 404, message: 'Not Found' };
