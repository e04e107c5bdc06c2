import type { SseEvent } from '../protocol/index.js';
import type { ChannelMembership } from './channel-membership.js';
import { controllerOf } from './connection-controller.js';
import { ConnectionRegistry } from './connection-registry.js';
import type { EndpointRuntime } from './endpoint-runner.js';
import { KeepaliveScheduler } from './keepalive-scheduler.js';
import { LifetimeScheduler } from './lifetime-scheduler.js';
import { SseCounters } from './sse-counters.js';
import { guardLogger, type SseLogger } from './sse-logger.js';

export interface ConnectionRuntimeOptions {
  logger: SseLogger;
  /** Channels for `sse.join`; without them, `join` rejects. */
  channels?: ChannelMembership;
  /** A last event sent to every stream at shutdown, where it can be written at once. */
  shutdownEvent?: SseEvent;
  registry?: ConnectionRegistry;
}

/**
 * What every endpoint of one module (or one `createSseHandler`) shares: the open connections,
 * the keepalive and lifetime timers, the counters, and the one way they shut down.
 */
export class ConnectionRuntime implements EndpointRuntime {
  readonly keepaliveScheduler = new KeepaliveScheduler();
  readonly lifetimeScheduler = new LifetimeScheduler();
  readonly counters = new SseCounters();
  readonly registry: ConnectionRegistry;
  readonly logger: SseLogger;
  readonly channels: ChannelMembership | undefined;
  private readonly shutdownEvent: SseEvent | undefined;
  private accepting = true;

  constructor(options: ConnectionRuntimeOptions) {
    this.logger = guardLogger(options.logger);
    this.channels = options.channels;
    this.shutdownEvent = options.shutdownEvent;
    this.registry = options.registry ?? new ConnectionRegistry();
  }

  /** `false` once shutdown began: new streams are answered 503. */
  get isAccepting(): boolean {
    return this.accepting;
  }

  /**
   * Refuses new streams (503), sends `shutdownEvent` where it can go at once (`trySendEvent`: a
   * stalled client cannot hold the shutdown up), ends every stream with reason `'shutdown'` —
   * destroying those with bytes still waiting — and stops the timers.
   */
  shutdown(): void {
    this.accepting = false;
    const last = this.shutdownEvent;
    for (const connection of [...this.registry.connections()]) {
      const stalled = connection.bufferedBytes > 0;
      if (last && !stalled) connection.trySendEvent(last);
      controllerOf(connection).terminate('shutdown', stalled);
    }
    this.keepaliveScheduler.clear();
    this.lifetimeScheduler.clear();
  }
}
