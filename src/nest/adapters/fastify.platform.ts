import { SseRequest } from '../../connection/index.js';
import { toMounter, type SsePlatform } from './sse-platform.js';

interface FastifyRequestLike {
  method: string;
  url: string;
  headers: SseRequest['headers'];
  query: unknown;
  params: unknown;
  body?: unknown;
  ip: string;
  raw: { url?: string };
}
interface FastifyReplyLike {
  raw: import('node:http').ServerResponse;
  hijack(): void;
  getHeaders(): Record<string, number | string | string[] | undefined>;
}

export const fastifyPlatform: SsePlatform = {
  route(httpAdapter, method, path, handler) {
    httpAdapter[toMounter(method)](path, (request: FastifyRequestLike, reply: FastifyReplyLike) =>
      handler(request, reply),
    );
  },
  request(request: FastifyRequestLike) {
    const url = request.raw.url ?? request.url;
    const queryStart = url.indexOf('?');
    return new SseRequest<FastifyRequestLike>({
      method: request.method,
      url,
      path: queryStart === -1 ? url : url.slice(0, queryStart),
      headers: request.headers,
      query: (request.query ?? {}) as Record<string, unknown>,
      params: (request.params ?? {}) as Record<string, string>,
      ip: request.ip,
      body: request.body,
      raw: request,
    });
  },
  response(reply: FastifyReplyLike) {
    return reply.raw;
  },
  takeOver(reply: FastifyReplyLike) {
    // Headers set through the reply (CORS plugins, hooks) live on the reply, not the raw response.
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    reply.hijack();
  },
};
