import { readResumePoint } from '../protocol/index.js';
import type { ChannelMembership } from './channel-membership.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { SseEndpointHooks } from './endpoint-hooks.js';
import type { ResolvedEndpointOptions } from './endpoint-options.js';
import type { KeepaliveScheduler } from './keepalive-scheduler.js';
import type { LifetimeScheduler } from './lifetime-scheduler.js';
import type { SseCounters } from './sse-counters.js';
import type { SseConnection, SseResponse } from './sse-connection.js';
import { controllerOf } from './connection-controller.js';
import { guardUserCallback } from './user-callback.js';
import { loggedByPipe } from './pipe/pipe-source.js';
import { ConnectionLimits, type SseRejection } from './connection-limits.js';
import { REJECTIONS, endpointHook, notLiveOnEndpointChannel } from './connection.messages.js';
import { describeError, type SseLogger } from './sse-logger.js';
import type { SseRequest } from './sse-request.js';

/** Shared by every endpoint of one module or handler. */
export interface EndpointRuntime {
  keepaliveScheduler: KeepaliveScheduler;
  lifetimeScheduler: LifetimeScheduler;
  registry: ConnectionRegistry;
  counters: SseCounters;
  channels?: ChannelMembership;
  logger: SseLogger;
  /** `false` once shutdown began: new streams are refused with 503. */
  readonly isAccepting: boolean;
}

export type PrepareResult = { connection: SseConnection } | { rejection: SseRejection };

/**
 * Drives one endpoint's lifecycle for each request, the same on every platform:
 * `prepare` (build the connection, run `authorize`) → `start` (flush headers, join the endpoint
 * channel, `onConnect`) → … → `onDisconnect` exactly once.
 */
export class EndpointRunner {
  private readonly limits: ConnectionLimits;

  constructor(
    readonly name: string,
    readonly path: string,
    readonly endpoint: SseEndpointHooks,
    readonly options: ResolvedEndpointOptions,
    private readonly runtime: EndpointRuntime,
  ) {
    this.limits = new ConnectionLimits(options.maxConnections, options.maxConnectionsPerKey);
  }

  /** Builds the connection and runs `authorize`; nothing is written yet. */
  async prepare(request: SseRequest, response: SseResponse): Promise<PrepareResult> {
    const key = this.keyOf(request);
    const refused = this.limits.check(this.runtime.isAccepting, key);
    if (refused) {
      this.runtime.counters.rejected++;
      return { rejection: refused };
    }
    this.limits.reserve(key);
    let started = false;
    try {
      const { lastEventId, resuming } = readResumePoint(
        request.headers['last-event-id'],
        request.url,
        this.options.lastEventIdQueryParam,
      );
      const connection = new this.options.connectionClass({
        request,
        response,
        endpoint: this.path,
        lastEventId,
        resuming,
        keepaliveScheduler: this.runtime.keepaliveScheduler,
        lifetimeScheduler: this.runtime.lifetimeScheduler,
        channels: this.runtime.channels,
        logger: this.runtime.logger,
        counters: this.runtime.counters,
        limits: {
          maxBufferedBytes: this.options.maxBufferedBytes,
          slowConsumer: this.options.slowConsumer,
        },
      });
      if (this.endpoint.authorize && (await this.endpoint.authorize(connection)) !== true) {
        return { rejection: { status: 403, message: REJECTIONS.forbidden } };
      }
      // The slot is released when the connection closes (or below, if it never opens).
      connection.onClose(() => this.limits.release(key));
      started = true;
      return { connection };
    } finally {
      if (!started) this.limits.release(key);
    }
  }

  /** The request's `connectionKey`, asked once; one that throws counts the request under none. */
  private keyOf(request: SseRequest): string | undefined {
    const { connectionKey } = this.options;
    if (!connectionKey) return undefined;
    return guardUserCallback(this.runtime.logger, this.hookName('connectionKey'), () =>
      connectionKey(request),
    );
  }

  /**
   * Opens the stream and runs the hooks. Resolves once `onConnect` has settled. `connectParams`
   * follow `sse` in the call to `onConnect` (what Nest's parameter decorators resolved).
   */
  async start(connection: SseConnection, connectParams: readonly unknown[] = []): Promise<void> {
    const { registry } = this.runtime;
    const controller = controllerOf(connection);
    registry.add(connection);
    controller.onClose((reason) => {
      registry.remove(connection);
      const { onDisconnect } = this.endpoint;
      if (!onDisconnect) return;
      guardUserCallback(this.runtime.logger, this.hookName('onDisconnect'), () =>
        onDisconnect.call(this.endpoint, connection, reason),
      );
    });
    controller.open({
      retry: this.options.retry,
      keepalive: this.options.keepalive,
      maxLifetime: this.options.maxLifetime,
    });
    try {
      if (this.runtime.channels) await this.joinEndpointChannel(connection);
      if (this.endpoint.onConnect && !connection.closed)
        await this.endpoint.onConnect(connection, ...connectParams);
    } catch (error) {
      if (connection.closed && isClosedError(error)) return;
      if (!loggedByPipe(error)) this.logFailure('onConnect', error);
      controller.terminate('error');
    } finally {
      controller.resume.endConnecting();
    }
  }

  // A transport outage must not refuse streams: the hub resubscribes when it is back.
  private async joinEndpointChannel(connection: SseConnection): Promise<void> {
    try {
      await connection.join(this.path);
    } catch (error) {
      if (connection.closed) return;
      const { message } = describeError(error);
      this.runtime.logger.warn(notLiveOnEndpointChannel(connection.id, this.path, message));
    }
  }

  private hookName(hook: string): string {
    return endpointHook(hook, this.name, this.path);
  }

  private logFailure(hook: string, error: unknown): void {
    const { message, stack } = describeError(error);
    this.runtime.logger.error(`${this.hookName(hook)} failed: ${message}`, stack);
  }
}

function isClosedError(error: unknown): boolean {
  return error instanceof Error && error.name === 'SseClosedError';
}
