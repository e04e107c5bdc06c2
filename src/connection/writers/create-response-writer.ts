import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { Http1ResponseWriter } from './http1-response-writer.js';
import { Http2ResponseWriter } from './http2-response-writer.js';
import type { ResponseWriter } from './response-writer.js';

/** The writer for a response's protocol. */
export function createResponseWriter(
  response: ServerResponse | Http2ServerResponse,
): ResponseWriter {
  return 'stream' in response
    ? new Http2ResponseWriter(response)
    : new Http1ResponseWriter(response);
}
