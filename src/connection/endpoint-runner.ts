import { parseLastEventId } from '../protocol/index.js';
import type { ChannelMembership } from './channel-membership.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { SseEndpointHooks } from './endpoint-hooks.js';
import type { ResolvedEndpointOptions } from './endpoint-options.js';
import type { KeepaliveScheduler } from './keepalive-scheduler.js';
import type { SseConnection, SseResponse } from './sse-connection.js';
import { describeError, type SseLogger } from './sse-logger.js';
import type { SseRequest } from './sse-request.js';

/** Shared by every endpoint of one module or handler. */
export interface EndpointRuntime {
  keepaliveScheduler: KeepaliveScheduler;
  registry: ConnectionRegistry;
  channels?: ChannelMembership;
  logger: SseLogger;
}

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
  constructor(
    readonly name: string,
    readonly path: string,
    readonly endpoint: SseEndpointHooks,
    readonly options: ResolvedEndpointOptions,
    private readonly runtime: EndpointRuntime,
  ) {}

  /** Builds the connection and runs `authorize`; nothing is written yet. */
  async prepare(request: SseRequest, response: SseResponse): Promise<PrepareResult> {
    const connection = new this.options.connectionClass({
      request,
      response,
      endpoint: this.path,
      lastEventId: parseLastEventId(request.headers['last-event-id']),
      keepaliveScheduler: this.runtime.keepaliveScheduler,
      channels: this.runtime.channels,
      logger: this.runtime.logger,
    });
    if (this.endpoint.authorize && (await this.endpoint.authorize(connection)) !== true) {
      return { rejection: { status: 403, message: 'Forbidden' } };
    }
    return { connection };
  }

  /** Opens the stream and runs the hooks. Resolves once `onConnect` has settled. */
  async start(connection: SseConnection): Promise<void> {
    const { registry } = this.runtime;
    registry.add(connection);
    connection.onClose((reason) => {
      registry.remove(connection);
      if (!this.endpoint.onDisconnect) return;
      try {
        this.endpoint.onDisconnect(connection, reason);
      } catch (error) {
        this.logFailure('onDisconnect', error);
      }
    });
    connection.open(this.options.retry, this.options.keepalive);
    try {
      if (this.runtime.channels) await this.joinEndpointChannel(connection);
      if (this.endpoint.onConnect && !connection.closed) await this.endpoint.onConnect(connection);
    } catch (error) {
      if (connection.closed && isClosedError(error)) return;
      this.logFailure('onConnect', error);
      connection.terminate('error');
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

  private logFailure(hook: string, error: unknown): void {
    const { message, stack } = describeError(error);
    this.runtime.logger.error(
      `${hook} of SSE endpoint ${this.name} (${this.path}) failed: ${message}`,
      stack,
    );
  }
}

function isClosedError(error: unknown): boolean {
  return error instanceof Error && error.name === 'SseClosedError';
}
