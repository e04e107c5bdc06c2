import type { SseLogger } from '../connection/index.js';
import type { EventId } from './history/event-id.js';
import type { HistoryQuery } from './history/history-options.js';

export type TransportState = 'up' | 'down';

/**
 * Where a transport hands every message for a channel this process subscribed to. `id` is the
 * history id the frame carries (its `id:` line), when the channel keeps history; `parsedId`, that
 * id parsed, if the transport has it at hand (it saves parsing it again per message).
 */
export type TransportSink = (
  channel: string,
  frame: Buffer,
  except: readonly string[] | undefined,
  id: string | undefined,
  parsedId?: EventId,
) => void;

/** What a transport tells the hub about its subscription, beyond messages. */
export interface TransportEvents {
  /** Messages may be missed from now on (the connection that receives them broke). */
  interrupted(): void;
  /** Receiving again, resubscribed to `channels`, after `interrupted`. */
  resubscribed(channels: readonly string[]): void;
}

/** What this process counts, for a transport that tells the other processes (presence). */
export interface LocalPresence {
  /** Local members of `channel`. */
  count(channel: string): number;
  /** Local connections (in any channel). */
  connectionCount(): number;
  /** Channels with at least one local member. */
  channels(): Iterable<string>;
  /** Calls `listener` with a channel each time its local member count changes. */
  watch(listener: (channel: string) => void): void;
}

export interface TransportPublishOptions {
  except?: readonly string[];
  /** `false`: live only, even on a channel with history (not stored, no id). */
  history?: boolean;
}

/**
 * Carries encoded frames between processes. A transport calls the sink for each message on a
 * subscribed channel, including this process's own publishes, exactly once.
 */
export interface SseTransport {
  /** Called once, before anything else. */
  start(sink: TransportSink, logger: SseLogger, events?: TransportEvents): Promise<void>;
  /**
   * Publishes a frame. On a channel with history the transport assigns the id, prepends the
   * `id:` line, stores the event and resolves with the id; otherwise resolves with `undefined`.
   * Resolves once accepted for delivery to every process (memory: delivered; Redis: stored and
   * `PUBLISH`ed); rejects with `SsePublishError` when it can't be.
   */
  publish(
    channel: string,
    body: Buffer,
    options?: TransportPublishOptions,
  ): Promise<string | undefined>;
  /**
   * Start receiving a channel. Resolves once messages on it will reach the sink; rejects with
   * `SseSubscribeError` when it can't be.
   */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Whether `channel` keeps history. */
  keepsHistory(channel: string): boolean;
  /**
   * The id counter of a history channel when history is spread over several (ids then name it);
   * leave it out, or return `undefined`, for the one counter of all channels.
   */
  historyCounterOf?(channel: string): number | undefined;
  /**
   * The newest id `counter` issued (starting the counter's epoch if it has none), so that a
   * connection's position can name every counter of its channels before it receives anything.
   * Needed only with several counters.
   */
  historyHead?(counter: number | undefined): Promise<string>;
  /** Events of a history channel published after `sinceId`. */
  history(channel: string, sinceId: string): Promise<HistoryQuery>;
  /**
   * Resolves once every message published before the call (by any process) that this process is
   * subscribed to has reached the sink: a replay written after it gets no late live copies.
   * Leave it out when delivery is synchronous.
   */
  barrier?(): Promise<void>;
  /**
   * Optional capability, with `globalCount`: starts telling the other processes this process's
   * counts (`local`). Called once, after `start`. A transport that reaches one process leaves
   * both out: its global count is the local count.
   */
  startPresence?(local: LocalPresence): void;
  /**
   * Connections in `channel` (or in total, without one) across every process. Rejects with
   * `SseTransportError` when it can't be counted (e.g. Redis unreachable).
   */
  globalCount?(channel?: string): Promise<number>;
  readonly state: TransportState;
  /** Releases what the transport opened. */
  close(): Promise<void>;
}
