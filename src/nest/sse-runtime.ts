import { Logger, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { BroadcastService, ChannelHub, createTransport } from '../broadcast/index.js';
import {
  ConnectionRegistry,
  KeepaliveScheduler,
  type EndpointRuntime,
} from '../connection/index.js';
import type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import { endpointPathOf } from './sse-metadata.accessor.js';

/**
 * What one `SseModule` shares across its endpoints: the keepalive timers, the open connections,
 * the channels and their transport. Closes streams, then the transport, when the app shuts down.
 */
export class SseRuntime implements EndpointRuntime, OnModuleDestroy, OnApplicationShutdown {
  readonly logger = new Logger('SseModule');
  readonly keepaliveScheduler = new KeepaliveScheduler();
  readonly registry = new ConnectionRegistry();
  readonly channels: ChannelHub;
  readonly broadcast: BroadcastService;
  private accepting = true;

  private constructor(readonly options: SseModuleOptions) {
    const transport = createTransport(options.transport, options.publishTimeout, options.history);
    this.channels = new ChannelHub(transport, this.logger);
    this.broadcast = new BroadcastService(
      this.channels,
      transport,
      () => this.registry.size,
      endpointPathOf,
    );
  }

  static async create(options: SseModuleOptions): Promise<SseRuntime> {
    const runtime = new SseRuntime(options ?? {});
    await runtime.channels.start();
    return runtime;
  }

  /** `false` once shutdown began: new streams are answered 503. */
  get isAccepting(): boolean {
    return this.accepting;
  }

  onModuleDestroy(): void {
    this.accepting = false;
    for (const connection of [...this.registry.connections()]) connection.terminate('shutdown');
    this.keepaliveScheduler.clear();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channels.close();
  }
}
