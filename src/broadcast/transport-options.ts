import { describeUrl, type SseLogger } from '../connection/index.js';
import { MemoryTransport } from './memory/memory.transport.js';
import { RedisTransport } from './redis/redis.transport.js';
import type { RedisTransportOptions } from './redis/redis-transport-options.js';
import type { SseTransport } from './sse-transport.js';
import { validateHistoryOptions, type HistoryOptions } from './history/history-options.js';
import { BROADCAST_MESSAGES } from './broadcast.messages.js';

/** How `SseModule.forRoot({ transport })` and `createBroadcaster` pick a transport. */
export type SseTransportOptions =
  { type: 'memory' } | ({ type: 'redis' } & RedisTransportOptions) | SseTransport;

export function createTransport(
  options: SseTransportOptions | undefined,
  publishTimeout?: number,
  history?: HistoryOptions,
  logger?: SseLogger,
): SseTransport {
  if (!options || (options as { type?: string }).type === 'memory')
    return new MemoryTransport(validateHistoryOptions(history, logger));
  if ((options as { type?: string }).type === 'redis') {
    const { type: _type, ...redis } = options as { type: 'redis' } & RedisTransportOptions;
    return new RedisTransport(
      { publishTimeout, ...redis },
      validateHistoryOptions(history, logger),
    );
  }
  if (typeof (options as SseTransport).publish === 'function') return options as SseTransport;
  throw new TypeError(BROADCAST_MESSAGES.unknownTransport(describeTransport(options)));
}

/** What an error may say about transport options: the type and the URL's host, no secrets. */
function describeTransport(options: unknown): string {
  if (typeof options !== 'object' || options === null) return String(options);
  const { type, url } = options as { type?: unknown; url?: unknown };
  const parts = [`type: ${typeof type === 'string' ? JSON.stringify(type) : `<${typeof type}>`}`];
  if (url !== undefined) parts.push(`url: ${describeUrl(url)}`);
  return `{ ${parts.join(', ')} }`;
}
