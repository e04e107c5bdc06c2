import { MemoryTransport } from './memory.transport.js';
import { RedisTransport } from './redis.transport.js';
import type { RedisTransportOptions } from './redis-transport-options.js';
import type { SseTransport } from './sse-transport.js';
import { validateHistoryOptions, type HistoryOptions } from './history/history-options.js';

/** How `SseModule.forRoot({ transport })` and `createBroadcaster` pick a transport. */
export type SseTransportOptions =
  { type: 'memory' } | ({ type: 'redis' } & RedisTransportOptions) | SseTransport;

export function createTransport(
  options: SseTransportOptions | undefined,
  publishTimeout?: number,
  history?: HistoryOptions,
): SseTransport {
  if (!options || (options as { type?: string }).type === 'memory')
    return new MemoryTransport(validateHistoryOptions(history));
  if ((options as { type?: string }).type === 'redis') {
    const { type: _type, ...redis } = options as { type: 'redis' } & RedisTransportOptions;
    return new RedisTransport({ publishTimeout, ...redis }, validateHistoryOptions(history));
  }
  if (typeof (options as SseTransport).publish === 'function') return options as SseTransport;
  throw new TypeError(
    `Unknown SSE transport ${JSON.stringify(options)}: use { type: 'memory' } or { type: 'redis' }`,
  );
}
