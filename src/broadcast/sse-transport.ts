import type { SseLogger } from '../connection/index.js';

export type TransportState = 'up' | 'down';

/** Where a transport hands every message for a channel this process subscribed to. */
export type TransportSink = (
  channel: string,
  frame: Buffer,
  except: readonly string[] | undefined,
) => void;

/**
 * Carries encoded frames between processes. A transport calls the sink for each message on a
 * subscribed channel, including this process's own publishes, exactly once.
 */
export interface SseTransport {
  /** Called once, before anything else. */
  start(sink: TransportSink, logger: SseLogger): Promise<void>;
  /**
   * Resolves once the message is accepted for delivery to every process (memory: delivered;
   * Redis: `PUBLISH` acknowledged). Rejects with {@link SsePublishError} when it can't be.
   */
  publish(channel: string, frame: Buffer, except?: readonly string[]): Promise<void>;
  /** Start receiving a channel. Resolves once messages on it will reach the sink. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  readonly state: TransportState;
  /** Releases what the transport opened. */
  close(): Promise<void>;
}

/** A publish the transport could not accept (e.g. Redis unreachable past `publishTimeout`). */
export class SsePublishError extends Error {
  override readonly name = 'SsePublishError';
}
