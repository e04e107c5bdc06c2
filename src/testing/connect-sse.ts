import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseTestStream } from './sse-test-stream.js';
import { NOT_AN_APP, NOT_TCP } from './testing.messages.js';

/** What `connectSse` needs of a Nest application (`INestApplication` has it). */
export interface SseTestApp {
  getHttpServer(): unknown;
  listen(port: number, hostname: string): Promise<unknown>;
}

export interface ConnectSseOptions {
  /** `'GET'` unless told. */
  method?: string;
  /** A string or bytes are sent as they are; anything else as JSON (`content-type: application/json`). */
  body?: unknown;
  headers?: OutgoingHttpHeaders;
  /** Sent as the `Last-Event-ID` header. */
  lastEventId?: string;
  /** How long `next`, `take` and `until` wait unless told, in ms (5000). */
  timeout?: number;
}

/**
 * Opens an event stream on a Nest application (Express or Fastify) over HTTP/1.1, as a client
 * would. An application that is not listening yet is started on an ephemeral port of
 * 127.0.0.1 (`app.listen(0, '127.0.0.1')`). Resolves once the response headers arrived — also for
 * a refusal: `status` and `headers` are set, and `next()` rejects with the status and the body.
 *
 * ```ts
 * const stream = await connectSse(app, '/chat', { method: 'POST', body: { prompt: 'hi' } });
 * const [first] = await stream.take(1);
 * const rest = await stream.until((e) => e.event === 'done');
 * stream.close();
 * ```
 */
export async function connectSse(
  app: SseTestApp,
  path: string,
  options: ConnectSseOptions = {},
): Promise<SseTestStream> {
  const { host, port } = await listeningAddress(app);
  const method = (options.method ?? 'GET').toUpperCase();
  const headers: OutgoingHttpHeaders = {
    accept: 'text/event-stream',
    ...lowerCase(options.headers),
  };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const body = encodeBody(options.body, headers);
  if (body !== undefined) headers['content-length'] = body.length;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = httpRequest({ host, port, path, method, headers });
    request.on('response', resolve).on('error', reject);
    request.end(body);
  });
  return new SseTestStream(response, `${method} ${path}`, options.timeout);
}

async function listeningAddress(app: SseTestApp): Promise<{ host: string; port: number }> {
  if (typeof app?.getHttpServer !== 'function') throw new TypeError(NOT_AN_APP);
  let address = serverAddress(app);
  if (!address) {
    await app.listen(0, '127.0.0.1');
    address = serverAddress(app);
  }
  if (!address || typeof address === 'string') throw new Error(NOT_TCP);
  const wildcard = address.address === '::' || address.address === '0.0.0.0';
  const host = wildcard ? (address.address === '::' ? '::1' : '127.0.0.1') : address.address;
  return { host, port: address.port };
}

function serverAddress(app: SseTestApp): AddressInfo | string | null {
  const server = app.getHttpServer() as { listening?: boolean; address?(): AddressInfo | string };
  return server?.listening && server.address ? (server.address() ?? null) : null;
}

function lowerCase(headers: OutgoingHttpHeaders | undefined): OutgoingHttpHeaders {
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) result[name.toLowerCase()] = value;
  return result;
}

function encodeBody(body: unknown, headers: OutgoingHttpHeaders): Buffer | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.length);
  headers['content-type'] ??= 'application/json';
  return Buffer.from(JSON.stringify(body));
}
