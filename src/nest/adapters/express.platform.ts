import type { Request, Response } from 'express';
import { SseRequest } from '../../connection/index.js';
import type { SsePlatform } from './sse-platform.js';

export const expressPlatform: SsePlatform = {
  route(httpAdapter, path, handler) {
    httpAdapter.get(path, (req: Request, res: Response) => handler(req, res));
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
