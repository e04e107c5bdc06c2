import type { Request, Response } from 'express';
import { SseRequest } from '../../connection/index.js';
import { toMounter, type SsePlatform } from './sse-platform.js';

export const expressPlatform: SsePlatform = {
  route(httpAdapter, method, path, handler) {
    httpAdapter[toMounter(method)](path, (req: Request, res: Response) => handler(req, res));
  },
  request(req: Request) {
    return new SseRequest<Request>({
      method: req.method,
      url: req.originalUrl ?? req.url,
      path: req.path,
      headers: req.headers,
      query: (req.query ?? {}) as Record<string, unknown>,
      params: (req.params ?? {}) as Record<string, string>,
      ip: req.ip,
      body: req.body as unknown,
      raw: req,
    });
  },
  response(res: Response) {
    return res;
  },
  takeOver() {
    // Express responses are Node responses already; compression() respects `no-transform`.
  },
};
