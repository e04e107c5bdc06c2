import { randomUUID } from 'node:crypto';
import { KEEPALIVE_FRAME, encodeEvent } from '../protocol/index.js';
import type { ChannelMember, ChannelMembership } from './channel-membership.js';
import { CHANNEL_NAME_REQUIRED, NO_CHANNELS, slowConsumerClosed } from './connection.messages.js';
import type { SseDisconnectReason } from './disconnect-reason.js';
import type { KeepaliveScheduler, KeepaliveTarget } from './keepalive-scheduler.js';
import type { LifetimeScheduler, LifetimeTarget } from './lifetime-scheduler.js';
import { OutgoingFrame } from './outgoing-frame.js';
import { ResumeState } from './resume-state.js';
import { SseClosedError } from './sse-closed.error.js';
import type { SseConnection, SseConnectionInit } from './sse-connection.js';
import type { SseCounters } from './sse-counters.js';
import type { SseLogger } from './sse-logger.js';
import { guardUserCallback } from './user-callback.js';
import { WriteBudget } from './write-budget.js';
import { createResponseWriter } from './writers/create-response-writer.js';
import type { ResponseWriter } from './writers/response-writer.js';

/** How the library opens a stream. */
export interface OpenOptions {
  retry?: number;
  keepalive: number;
  /** Seconds (±10 %) after which the stream ends with reason `'lifetime'`. */
  maxLifetime?: number;
}

export type SseCloseListener = (reason: SseDisconnectReason) => void;

const RESOLVED: Promise<void> = Promise.resolve();
const KEEPALIVE = new OutgoingFrame(KEEPALIVE_FRAME);
const EMPTY_SET: ReadonlySet<string> = new Set();
const controllers = new WeakMap<SseConnection, ConnectionController>();

/** The library's handle on a connection (its facade has only what applications may call). */
export function controllerOf(connection: SseConnection): ConnectionController {
  return controllers.get(connection)!;
}

/**
 * The lifecycle of one event stream, held by the library: opening, writing with backpressure and
 * the byte bound, broadcast delivery, keepalive and lifetime, closing exactly once. A subclass of
 * `SseConnection` can neither reach nor override it.
 */
export class ConnectionController implements ChannelMember, KeepaliveTarget, LifetimeTarget {
  readonly id: string = randomUUID();
  readonly lastEventId: string | null;
  readonly resume: ResumeState;
  private readonly writer: ResponseWriter;
  private readonly budget: WriteBudget;
  private readonly keepaliveScheduler: KeepaliveScheduler;
  private readonly lifetimeScheduler: LifetimeScheduler;
  private readonly membership: ChannelMembership | undefined;
  readonly logger: SseLogger;
  private readonly counters: SseCounters;
  private isClosed = false;
  private reason: SseDisconnectReason | null = null;
  private closeListeners: SseCloseListener[] = [];
  private joined: Set<string> | null = null;
  private abortController: AbortController | null = null;
  private drained: Promise<void> | null = null;
  private settleDrain: ((error?: Error) => void) | null = null;
  private retryHint: number | undefined;

  constructor(
    readonly connection: SseConnection,
    init: SseConnectionInit,
  ) {
    controllers.set(connection, this);
    this.lastEventId = init.lastEventId;
    this.resume = new ResumeState(init.resuming);
    this.writer = createResponseWriter(init.response);
    this.keepaliveScheduler = init.keepaliveScheduler;
    this.lifetimeScheduler = init.lifetimeScheduler;
    this.membership = init.channels;
    this.logger = init.logger;
    this.counters = init.counters;
    this.budget = new WriteBudget(this.writer, init.limits, init.counters, (pending, why) =>
      this.closeSlowConsumer(pending, why, init.limits.maxBufferedBytes),
    );
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get closeReason(): SseDisconnectReason | null {
    return this.reason;
  }

  get bufferedBytes(): number {
    return this.isClosed ? 0 : this.writer.pendingBytes;
  }

  get channels(): ReadonlySet<string> {
    return this.joined ?? EMPTY_SET;
  }

  get signal(): AbortSignal {
    if (!this.abortController) {
      this.abortController = new AbortController();
      if (this.isClosed) this.abortController.abort(this.reason);
    }
    return this.abortController.signal;
  }

  /** Writes the status line and headers at once, then the initial `retry:` hint. */
  open({ retry, keepalive, maxLifetime }: OpenOptions): void {
    if (this.writer.gone) {
      this.markClosed('client');
      return;
    }
    this.writer.open({
      close: () => this.markClosed('client'),
      error: () => this.terminate('client', true),
      drain: () => this.onDrain(),
    });
    this.retryHint = retry;
    if (retry !== undefined) this.tryWrite(() => encodeEvent({ retry }));
    if (keepalive > 0) this.keepaliveScheduler.set(this, keepalive);
    if (maxLifetime && maxLifetime > 0) this.lifetimeScheduler.schedule(this, maxLifetime);
  }

  /** What the application sends; resolves once the socket took it (after `drain` if need be). */
  write(text: string): Promise<void> {
    if (this.isClosed) return Promise.reject(new SseClosedError(this.id));
    this.resume.flushPending();
    this.count(text);
    if (this.writer.write(text)) return RESOLVED;
    return (this.drained ??= new Promise<void>((resolve, reject) => {
      this.settleDrain = (error) => (error ? reject(error) : resolve());
    }));
  }

  /** Like `write`, synchronous: `false` when closed or `encode` throws. */
  tryWrite(encode: () => string): boolean {
    if (this.isClosed) return false;
    let text: string;
    try {
      text = encode();
    } catch {
      return false;
    }
    this.resume.flushPending();
    this.count(text);
    this.writer.write(text);
    return true;
  }

  /** The broadcast hot path: an already-encoded frame shared by every member. */
  deliver(frame: OutgoingFrame): void {
    if (this.isClosed) return;
    if (this.budget.dropping && !this.budget.drained()) {
      this.counters.eventsDropped++;
      return;
    }
    this.counters.eventsSent++;
    this.budget.charge(frame.bytes.length);
    this.writer.writeFrame(frame);
  }

  deliverPosition(frame: OutgoingFrame): void {
    if (this.isClosed || (this.budget.dropping && !this.budget.drained())) return;
    this.budget.charge(frame.bytes.length);
    this.writer.writeFrame(frame);
  }

  sendKeepalive(): void {
    if (this.isClosed) return;
    this.budget.charge(KEEPALIVE.bytes.length);
    this.writer.writeFrame(KEEPALIVE);
  }

  setKeepalive(seconds: number): void {
    if (!this.isClosed) this.keepaliveScheduler.set(this, seconds);
  }

  join(channel: string): Promise<void> {
    if (this.isClosed) return Promise.reject(new SseClosedError(this.id));
    if (!this.membership) return Promise.reject(new Error(NO_CHANNELS));
    if (typeof channel !== 'string' || channel.length === 0) {
      throw new TypeError(CHANNEL_NAME_REQUIRED);
    }
    (this.joined ??= new Set()).add(channel);
    return this.membership.join(this, channel);
  }

  leave(channel: string): void {
    if (!this.joined?.delete(channel)) return;
    this.membership?.leave(this, channel);
  }

  replay(channel: string, sinceId: string): Promise<boolean> {
    if (this.isClosed) return Promise.reject(new SseClosedError(this.id));
    if (!this.membership) return Promise.reject(new Error(NO_CHANNELS));
    return this.membership.replay(this, channel, sinceId);
  }

  onClose(listener: SseCloseListener): void {
    if (this.isClosed) this.callCloseListener(listener);
    else this.closeListeners.push(listener);
  }

  /** Ends the stream at the end of its `maxLifetime`, after a `retry:` hint. */
  expire(): void {
    if (this.isClosed) return;
    this.tryWrite(() => encodeEvent({ retry: this.retryHint ?? 1000 }));
    this.terminate('lifetime');
  }

  /**
   * Ends the stream with `reason`. `destroy` drops unsent bytes at once, which is how a slow
   * consumer must be closed: `end()` would queue behind data the client never reads.
   */
  terminate(reason: SseDisconnectReason, destroy = false): void {
    if (this.isClosed) return;
    this.markClosed(reason);
    if (destroy) this.writer.destroy();
    else this.writer.end();
    if (reason === 'shutdown') this.writer.release();
  }

  private closeSlowConsumer(pending: number, why: string, bound: number): void {
    if (this.isClosed) return;
    this.counters.slowConsumerCloses++;
    this.logger.warn(slowConsumerClosed(this.id, this.connection.endpoint, pending, why, bound));
    this.terminate('slow-consumer', true);
  }

  private count(text: string): void {
    this.counters.eventsSent++;
    this.budget.charge(Buffer.byteLength(text));
  }

  private onDrain(): void {
    const settle = this.settleDrain;
    this.drained = null;
    this.settleDrain = null;
    settle?.();
  }

  private markClosed(reason: SseDisconnectReason): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.reason = reason;
    this.keepaliveScheduler.remove(this);
    this.lifetimeScheduler.cancel(this);
    if (this.joined) {
      for (const channel of this.joined) this.membership?.leave(this, channel);
      this.joined = null;
    }
    this.abortController?.abort(reason);
    const settle = this.settleDrain;
    if (settle) {
      this.drained?.catch(() => undefined);
      this.drained = null;
      this.settleDrain = null;
      settle(new SseClosedError(this.id));
    }
    const listeners = this.closeListeners;
    this.closeListeners = [];
    for (const listener of listeners) this.callCloseListener(listener);
  }

  private callCloseListener(listener: SseCloseListener): void {
    guardUserCallback(this.logger, `A close listener of SSE connection ${this.id}`, () =>
      listener(this.reason!),
    );
  }
}
