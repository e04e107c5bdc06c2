import { Logger, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import {
  createBroadcaster,
  type BroadcastService,
  type Broadcaster,
  type ChannelHub,
} from '../broadcast/index.js';
import { ConnectionRegistry, ConnectionRuntime } from '../connection/index.js';
import type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import { endpointPathOf } from './sse-metadata.accessor.js';

/**
 * What one `SseModule` shares across its endpoints — the connection runtime and the channels with
 * their transport — as a Nest lifecycle: streams end at `onModuleDestroy`, then the transport
 * closes at `onApplicationShutdown`.
 */
export class SseRuntime
  extends ConnectionRuntime
  implements OnModuleDestroy, OnApplicationShutdown
{
  override readonly channels: ChannelHub;
  readonly broadcast: BroadcastService;
  private readonly cleanups: (() => void)[] = [];

  private constructor(
    readonly options: SseModuleOptions,
    logger: Logger,
    registry: ConnectionRegistry,
    private readonly broadcaster: Broadcaster,
  ) {
    super({
      logger,
      registry,
      channels: broadcaster.channels,
      shutdownEvent: options.shutdownEvent,
    });
    this.channels = broadcaster.channels;
    this.broadcast = broadcaster.broadcast;
  }

  static async create(options: SseModuleOptions = {}): Promise<SseRuntime> {
    const logger = new Logger('SseModule');
    const registry = new ConnectionRegistry();
    const broadcaster = await createBroadcaster({
      transport: options.transport,
      publishTimeout: options.publishTimeout,
      liveGap: options.liveGap,
      history: options.history,
      logger,
      registry,
      resolveEndpoint: endpointPathOf,
    });
    return new SseRuntime(options, logger, registry, broadcaster);
  }

  onModuleDestroy(): void {
    this.shutdown();
  }

  /** Runs `cleanup` when the application shuts down. */
  onShutdown(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  async onApplicationShutdown(): Promise<void> {
    this.cleanups.splice(0).forEach((cleanup) => cleanup());
    await this.broadcaster.close();
  }
}
