export {
  BroadcastService,
  toSseEvent,
  type PublishOptions,
  type EndpointChannelResolver,
} from './broadcast.service.js';
export { ChannelHub } from './channel-hub.js';
export {
  SseTransportError,
  SsePublishError,
  SseSubscribeError,
  SseConnectError,
  type PublishOutcome,
} from './transport-errors.js';
export {
  type SseTransport,
  type TransportEvents,
  type TransportSink,
  type TransportState,
} from './sse-transport.js';
export type { LiveGapPolicy } from './history/live-catch-up.js';
export { MemoryTransport } from './memory/memory.transport.js';
export { RedisTransport } from './redis/redis.transport.js';
export type {
  RedisTransportOptions,
  RedisConnectionOptions,
  RedisClient,
  RedisClusterClient,
  RedisClusterConfig,
  RedisClusterOptions,
} from './redis/redis-transport-options.js';
export { createTransport, type SseTransportOptions } from './transport-options.js';
export {
  createBroadcaster,
  type Broadcaster,
  type BroadcasterOptions,
} from './create-broadcaster.js';
export type { HistoryOptions, HistoryQuery } from './history/history-options.js';
export { parseEventId, compareEventIds, formatEventId, type EventId } from './history/event-id.js';
export type { TransportPublishOptions } from './sse-transport.js';
