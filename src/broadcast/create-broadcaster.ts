import {
  consoleLogger,
  guardLogger,
  type ConnectionRegistry,
  type SseLogger,
} from '../connection/index.js';
import { BroadcastService, type EndpointChannelResolver } from './broadcast.service.js';
import { ChannelHub } from './channel-hub.js';
import { createTransport, type SseTransportOptions } from './transport-options.js';
import type { HistoryOptions } from './history/history-options.js';
import type { LiveGapPolicy } from './history/live-catch-up.js';

export interface BroadcasterOptions {
  transport?: SseTransportOptions;
  publishTimeout?: number;
  /**
   * What live streams get when their worker may have missed events it cannot replay (a Redis
   * reconnect on a channel without history, or history that no longer reaches back): `'log'`
   * (default) keeps them open and logs; `'close'` ends them (reason `'missed-events'`) so their
   * clients reconnect and resume with `Last-Event-ID`.
   */
  liveGap?: LiveGapPolicy;
  /** Keep recent events per channel for `Last-Event-ID` replay. */
  history?: HistoryOptions;
  logger?: SseLogger;
  /**
   * Counts all local connections for `localCount()`. Default: the connections in at least one of
   * its channels (with `createSseHandler`, every stream is in its endpoint's channel).
   */
  registry?: ConnectionRegistry;
  resolveEndpoint?: EndpointChannelResolver;
}

export interface Broadcaster {
  broadcast: BroadcastService;
  /** Pass as `channels` to `createSseHandler`. */
  channels: ChannelHub;
  close(): Promise<void>;
}

/** Broadcasting without Nest, for `createSseHandler`; `SseModule` builds the same thing. */
export async function createBroadcaster(options: BroadcasterOptions = {}): Promise<Broadcaster> {
  const logger = guardLogger(options.logger ?? consoleLogger);
  const transport = createTransport(
    options.transport,
    options.publishTimeout,
    options.history,
    logger,
  );
  const channels = new ChannelHub(transport, logger, options.liveGap);
  await channels.start();
  const { registry } = options;
  const counted = registry
    ? { count: (channel: string) => channels.count(channel), connectionCount: () => registry.size }
    : channels;
  transport.startPresence?.({
    count: (channel) => counted.count(channel),
    connectionCount: () => counted.connectionCount(),
    channels: () => channels.channelNames(),
    watch: (listener) => channels.watch(listener),
  });
  const broadcast = new BroadcastService(counted, transport, options.resolveEndpoint);
  return { broadcast, channels, close: () => channels.close() };
}
