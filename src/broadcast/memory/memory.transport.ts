import {
  keepsHistory,
  type HistoryOptions,
  type HistoryQuery,
} from '../history/history-options.js';
import { MemoryHistory } from './memory-history.js';
import type {
  SseTransport,
  TransportPublishOptions,
  TransportSink,
  TransportState,
} from '../sse-transport.js';

/** The default: one process, delivery in the same tick as `publish`. Nothing to install. */
export class MemoryTransport implements SseTransport {
  readonly state: TransportState = 'up';
  private sink: TransportSink | null = null;
  private readonly store: MemoryHistory | null;

  constructor(private readonly historyOptions?: HistoryOptions) {
    this.store = historyOptions ? new MemoryHistory(historyOptions) : null;
  }

  async start(sink: TransportSink): Promise<void> {
    this.sink = sink;
  }

  publish(
    channel: string,
    body: Buffer,
    options: TransportPublishOptions = {},
  ): Promise<string | undefined> {
    if (this.store && options.history !== false && this.keepsHistory(channel)) {
      const { id, frame } = this.store.append(channel, body);
      this.sink?.(channel, frame, options.except, id);
      return Promise.resolve(id);
    }
    this.sink?.(channel, body, options.except, undefined);
    return RESOLVED;
  }

  subscribe(): Promise<void> {
    return RESOLVED_VOID;
  }

  unsubscribe(): Promise<void> {
    return RESOLVED_VOID;
  }

  keepsHistory(channel: string): boolean {
    return keepsHistory(this.historyOptions, channel);
  }

  async history(channel: string, sinceId: string): Promise<HistoryQuery> {
    return this.store ? this.store.query(channel, sinceId) : { events: [], gap: true };
  }

  /** Delivery is synchronous: everything published has reached the sink. */
  barrier(): Promise<void> {
    return RESOLVED_VOID;
  }

  /** Events kept for `channel` (for tests and metrics). */
  historyLength(channel: string): number {
    return this.store?.count(channel) ?? 0;
  }

  async close(): Promise<void> {
    this.sink = null;
  }
}

const RESOLVED: Promise<string | undefined> = Promise.resolve(undefined);
const RESOLVED_VOID: Promise<void> = Promise.resolve();
