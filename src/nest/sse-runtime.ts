import { Logger, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import {
  createBroadcaster,
  type BroadcastService,
  type Broadcaster,
  type ChannelHub,
} from '../broadcast/index.js';
import {
  ConnectionRegistry,
  KeepaliveScheduler,
  LifetimeScheduler,
  SseCounters,
  controllerOf,
  type EndpointRuntime,
} from '../connection/index.js';
import type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import { endpointPathOf } from './sse-metadata.accessor.js';

/**
 * What one `SseModule` shares across its endpoints: the keepalive timers, the open connections,
 * the channels and their transport. Closes streams, then the transport, when the app shuts down.
 */
export class SseRuntime implements EndpointRuntime, OnModuleDestroy, OnApplicationShutdown {
  readonly keepaliveScheduler = new KeepaliveScheduler();
  readonly lifetimeScheduler = new LifetimeScheduler();
  readonly counters = new SseCounters();
  readonly channels: ChannelHub;
  readonly broadcast: BroadcastService;
  private accepting = true;
  private readonly cleanups: (() => void)[] = [];

  private constructor(
    readonly options: SseModuleOptions,
    readonly logger: Logger,
    readonly registry: ConnectionRegistry,
    private readonly broadcaster: Broadcaster,
  ) {
    this.channels = broadcaster.channels;
    this.broadcast = broadcaster.broadcast;
  }

  static async create(options: SseModuleOptions = {}): Promise<SseRuntime> {
    const logger = new Logger('SseModule');
    const registry = new ConnectionRegistry();
    const broadcaster = await createBroadcaster({
      transport: options.transport,
      publishTimeout: options.publishTimeout,
      history: options.history,
      logger,
      registry,
      resolveEndpoint: endpointPathOf,
    });
    return new SseRuntime(options, logger, registry, broadcaster);
  }

  /** `false` once shutdown began: new streams are answered 503. */
  get isAccepting(): boolean {
    return this.accepting;
  }

  /**
   * Shutdown, first step: refuse new streams (503), send `shutdownEvent` where it can go at once
   * (`trySendEvent`: a stalled client cannot hold the shutdown up), end every stream with reason
   * `'shutdown'` — destroying those with bytes still waiting — and stop the timers.
   */
  onModuleDestroy(): void {
    this.accepting = false;
    const last = this.options.shutdownEvent;
    for (const connection of [...this.registry.connections()]) {
      const stalled = connection.bufferedBytes > 0;
      if (last && !stalled) connection.trySendEvent(last);
      controllerOf(connection).terminate('shutdown', stalled);
    }
    this.keepaliveScheduler.clear();
    this.lifetimeScheduler.clear();
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
