import { parseLastEventId } from '../protocol/index.js';
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

/** Seconds a refused client is told to wait (`Retry-After`). */
const RETRY_AFTER_SECONDS = '5';

/** An answer that refuses a stream before it opens. */
export interface SseRejection {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

export type PrepareResult = { connection: SseConnection } | { rejection: SseRejection };

/**
 * Drives one endpoint's lifecycle for each request, the same on every platform:
 * `prepare` (build the connection, run `authorize`) → `start` (flush headers, join the endpoint
 * channel, `onConnect`) → … → `onDisconnect` exactly once.
 */
export class EndpointRunner {
  /** Open streams per `connectionKey`, for `maxConnectionsPerKey`. */
  private readonly perKey = new Map<string, number>();
  /** Streams between the limit check and their close, so concurrent requests can't overshoot. */
  private reserved = 0;

  constructor(
    readonly name: string,
    readonly path: string,
    readonly endpoint: SseEndpointHooks,
    readonly options: ResolvedEndpointOptions,
    private readonly runtime: EndpointRuntime,
  ) {}

  /** Builds the connection and runs `authorize`; nothing is written yet. */
  async prepare(request: SseRequest, response: SseResponse): Promise<PrepareResult> {
    const refused = this.checkLimits(request);
    if (refused) {
      this.runtime.counters.rejected++;
      return { rejection: refused };
    }
    const key = this.options.connectionKey?.(request);
    this.reserve(key);
    let started = false;
    try {
      const connection = new this.options.connectionClass({
        request,
        response,
        endpoint: this.path,
        lastEventId: parseLastEventId(request.headers['last-event-id']),
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
        return { rejection: { status: 403, message: 'Forbidden' } };
      }
      // The slot is released when the connection closes (or below, if it never opens).
      connection.onClose(() => this.release(key));
      started = true;
      return { connection };
    } finally {
      if (!started) this.release(key);
    }
  }

  private checkLimits(request: SseRequest): SseRejection | null {
    if (!this.runtime.isAccepting) {
      return {
        status: 503,
        message: 'The server is shutting down',
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      };
    }
    const { maxConnections, maxConnectionsPerKey, connectionKey } = this.options;
    if (maxConnections !== undefined && this.reserved >= maxConnections) {
      return {
        status: 503,
        message: 'Too many connections',
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      };
    }
    if (maxConnectionsPerKey !== undefined && connectionKey) {
      const key = connectionKey(request);
      if (key !== undefined && (this.perKey.get(key) ?? 0) >= maxConnectionsPerKey) {
        return {
          status: 429,
          message: 'Too many connections for this client',
          headers: { 'Retry-After': RETRY_AFTER_SECONDS },
        };
      }
    }
    return null;
  }

  private reserve(key: string | undefined): void {
    this.reserved++;
    if (key !== undefined) this.perKey.set(key, (this.perKey.get(key) ?? 0) + 1);
  }

  private release(key: string | undefined): void {
    this.reserved--;
    if (key === undefined) return;
    const left = (this.perKey.get(key) ?? 1) - 1;
    if (left === 0) this.perKey.delete(key);
    else this.perKey.set(key, left);
  }

  /** Opens the stream and runs the hooks. Resolves once `onConnect` has settled. */
  async start(connection: SseConnection): Promise<void> {
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
      if (this.endpoint.onConnect && !connection.closed) await this.endpoint.onConnect(connection);
    } catch (error) {
      if (connection.closed && isClosedError(error)) return;
      this.logFailure('onConnect', error);
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
      this.runtime.logger.warn(
        `Connection ${connection.id} of ${this.path} is not yet live on its endpoint channel: ${message}`,
      );
    }
  }

  private hookName(hook: string): string {
    return `${hook} of SSE endpoint ${this.name} (${this.path})`;
  }

  private logFailure(hook: string, error: unknown): void {
    const { message, stack } = describeError(error);
    this.runtime.logger.error(`${this.hookName(hook)} failed: ${message}`, stack);
  }
}

function isClosedError(error: unknown): boolean {
  return error instanceof Error && error.name === 'SseClosedError';
}
