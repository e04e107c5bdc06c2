import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Http2ServerResponse } from 'node:http2';
import {
  KEEPALIVE_FRAME,
  encodeComment,
  encodeData,
  encodeEvent,
  eventStreamHeaders,
  type SseEvent,
} from '../protocol/index.js';
import type { ChannelMembership } from './channel-membership.js';
import type { SseDisconnectReason } from './disconnect-reason.js';
import type { KeepaliveScheduler, KeepaliveTarget } from './keepalive-scheduler.js';
import { OutgoingFrame } from './outgoing-frame.js';
import { BACKLOG_CHECK_MS, watchBacklog, type BacklogWatchTarget } from './backlog-watch.js';
import { SseClosedError } from './sse-closed.error.js';
import type { LifetimeScheduler, LifetimeTarget } from './lifetime-scheduler.js';
import type { SseCounters } from './sse-counters.js';
import { flushAtTickEnd, type TickFlushTarget } from './tick-flush.js';
import { describeError, type SseLogger } from './sse-logger.js';
import type { SseRequest } from './sse-request.js';

/** The Node response an event stream is written to (HTTP/1.1 or HTTP/2 compatibility API). */
export type SseResponse = ServerResponse | Http2ServerResponse;

/** Everything a connection is built from. Library code constructs connections; apps don't. */
export interface SseConnectionInit {
  request: SseRequest;
  response: SseResponse;
  /** The endpoint's path pattern, e.g. `/rooms/:id`; also the name of its broadcast channel. */
  endpoint: string;
  lastEventId: string | null;
  keepaliveScheduler: KeepaliveScheduler;
  /** Absent when the connection runs without broadcasting (`join` then throws). */
  channels?: ChannelMembership;
  logger: SseLogger;
  /** The byte bound and what happens past it. */
  limits: WriteLimits;
  counters: SseCounters;
  lifetimeScheduler: LifetimeScheduler;
}

/** What a slow client gets past `maxBufferedBytes`: closed (`'close'`) or events dropped (`'drop'`). */
export type SlowConsumerPolicy = 'close' | 'drop';

export interface WriteLimits {
  /** The bytes that may wait for this connection beyond what its socket accepted (see `flushTick`). */
  maxBufferedBytes: number;
  slowConsumer: SlowConsumerPolicy;
}

/** How `open` starts the stream. @internal */
export interface OpenOptions {
  retry?: number;
  keepalive: number;
  /** Seconds (±10 %) after which the stream ends with reason `'lifetime'`. */
  maxLifetime?: number;
}

export type SseCloseListener = (reason: SseDisconnectReason) => void;

const RESOLVED: Promise<void> = Promise.resolve();
const KEEPALIVE = new OutgoingFrame(KEEPALIVE_FRAME);

/**
 * One client's event stream (the seed's `$sse`). Subclass it and pass the subclass as
 * `connectionClass` to add your own helpers; don't override the constructor's signature.
 *
 * Writes come in two kinds: `send*` return a Promise that resolves when the bytes are handed to
 * the socket (waiting for `drain` under backpressure) and reject with {@link SseClosedError} once
 * the connection is closed; `trySend*` are synchronous, never throw for a closed connection and
 * return `false` instead. Invalid fields (`event`/`id` with a line break, a bad `retry`) throw
 * `TypeError` from `send*` and make `trySend*` return `false`.
 */
export class SseConnection
  implements KeepaliveTarget, TickFlushTarget, LifetimeTarget, BacklogWatchTarget
{
  /** A unique id (UUID), usable in `publish(..., { except })` from any process. */
  readonly id: string = randomUUID();
  /** The request that opened the stream. */
  readonly request: SseRequest;
  /** The endpoint's path pattern (its broadcast channel). */
  readonly endpoint: string;
  /** The `Last-Event-ID` header; `null` when absent or malformed (over 1 KiB, NUL, CR or LF). */
  readonly lastEventId: string | null;
  /** Whether the request carried a non-empty `Last-Event-ID` header (valid or not). */
  readonly resuming: boolean;

  // Typed as HTTP/1 for the calls both response kinds share; HTTP/2 responses are used the same way.
  private readonly response: ServerResponse;
  private readonly keepaliveScheduler: KeepaliveScheduler;
  private readonly membership: ChannelMembership | undefined;
  private readonly logger: SseLogger;
  private readonly limits: WriteLimits;
  private readonly counters: SseCounters;
  private readonly lifetimeScheduler: LifetimeScheduler;
  private isClosed = false;
  /** Written to in the current tick (flushTick pending). */
  private inTick = false;
  /** This connection corked its socket for the current tick. */
  private corked = false;
  /** Over the byte bound with `slowConsumer: 'drop'`: broadcasts skip it until it drains. */
  private dropping = false;
  /** Over the byte bound and watched (see `checkBacklog`): the backlog at the last look; else -1. */
  private overBound = -1;
  private retryHint: number | undefined;
  private reason: SseDisconnectReason | null = null;
  private closeListeners: SseCloseListener[] = [];
  private joined: Set<string> | null = null;
  private replayedChannels: Set<string> | null = null;
  private gap: boolean | null = null;
  private userStash: Record<string, unknown> | null = null;
  private abortController: AbortController | null = null;
  /** Set when broadcasts may bypass `ServerResponse.write` (see `open`). */
  private chunkedSocket: Socket | null = null;
  private drained: Promise<void> | null = null;
  private settleDrain: ((error?: Error) => void) | null = null;

  constructor(init: SseConnectionInit) {
    this.request = init.request;
    this.response = init.response as ServerResponse;
    this.endpoint = init.endpoint;
    this.lastEventId = init.lastEventId;
    const header = init.request.headers['last-event-id'];
    this.resuming = header !== undefined && header !== '';
    this.keepaliveScheduler = init.keepaliveScheduler;
    this.membership = init.channels;
    this.logger = init.logger;
    this.limits = init.limits;
    this.counters = init.counters;
    this.lifetimeScheduler = init.lifetimeScheduler;
  }

  /** A per-connection object for the application's own state. */
  get stash(): Record<string, unknown> {
    return (this.userStash ??= {});
  }

  /** Aborted when the connection closes: hand it to `fetch`, timers, or async iterators. */
  get signal(): AbortSignal {
    if (!this.abortController) {
      this.abortController = new AbortController();
      if (this.isClosed) this.abortController.abort(this.reason);
    }
    return this.abortController.signal;
  }

  /** `true` once the stream has ended, whoever ended it. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Why the connection closed, or `null` while it is open. */
  get closeReason(): SseDisconnectReason | null {
    return this.reason;
  }

  /** Bytes written to this connection that its socket has not accepted yet. */
  get bufferedBytes(): number {
    return this.isClosed ? 0 : this.pendingBytes();
  }

  /** The broadcast channels this connection is in (its endpoint's channel included). */
  get channels(): ReadonlySet<string> {
    return this.joined ?? EMPTY_SET;
  }

  /** Sends `data` as one event (JSON-encoded unless a string). */
  send(data: unknown): Promise<void> {
    return this.write(encodeData(data));
  }

  /** Sends `value` JSON-encoded, even when it is a string. */
  sendJson(value: unknown): Promise<void> {
    return this.write(encodeData(JSON.stringify(value) ?? 'null'));
  }

  /** Sends an event with optional `event`, `id` and `retry` fields. */
  sendEvent(event: SseEvent): Promise<void> {
    return this.write(encodeEvent(event));
  }

  /** Sends a comment line, which clients ignore. */
  comment(text?: string): Promise<void> {
    return this.write(encodeComment(text));
  }

  /** Like `send`, but synchronous: `false` when closed, never throws. */
  trySend(data: unknown): boolean {
    return this.tryWrite(() => encodeData(data));
  }

  /** Like `sendJson`, but synchronous: `false` when closed or not serialisable, never throws. */
  trySendJson(value: unknown): boolean {
    return this.tryWrite(() => encodeData(JSON.stringify(value) ?? 'null'));
  }

  /** Like `sendEvent`, but synchronous: `false` when closed or a field is invalid, never throws. */
  trySendEvent(event: SseEvent): boolean {
    return this.tryWrite(() => encodeEvent(event));
  }

  /** Changes this connection's keepalive interval (seconds; 0 turns it off). */
  keepalive(seconds: number): void {
    if (this.isClosed) return;
    this.keepaliveScheduler.set(this, seconds);
  }

  /**
   * Joins a broadcast channel. Resolves once the connection receives the channel's events
   * (after any missed events were replayed, when history is on).
   */
  join(channel: string): Promise<void> {
    if (this.isClosed) return Promise.reject(new SseClosedError(this.id));
    if (!this.membership) {
      return Promise.reject(new Error(NO_CHANNELS));
    }
    if (typeof channel !== 'string' || channel.length === 0) {
      throw new TypeError('Channel name must be a non-empty string');
    }
    (this.joined ??= new Set()).add(channel);
    return this.membership.join(this, channel);
  }

  /**
   * After a resumed connection joined a channel with history: `false` when every missed event was
   * replayed, `true` when some may be lost (the id is older than what is kept, unknown or
   * malformed: send a full refresh). `null` when the request had no `Last-Event-ID` (or before
   * the first such join). Final once the `join` that replays has resolved.
   */
  get replayGap(): boolean | null {
    return this.gap;
  }

  /**
   * Sends the events of a history channel published after `sinceId`, without joining it.
   * Resolves with `true` when some may be missing (as `replayGap`).
   */
  replay(channel: string, sinceId: string): Promise<boolean> {
    if (this.isClosed) return Promise.reject(new SseClosedError(this.id));
    if (!this.membership) return Promise.reject(new Error(NO_CHANNELS));
    return this.membership.replay(this, channel, sinceId);
  }

  /**
   * Whether joining `channel` must first replay what this connection missed; true once per
   * channel, for a resumed connection on a channel with history.
   * @internal
   */
  takeReplayRequest(channel: string, channelKeepsHistory: boolean): boolean {
    if (!this.resuming || !channelKeepsHistory) return false;
    if (this.replayedChannels?.has(channel)) return false;
    (this.replayedChannels ??= new Set()).add(channel);
    return true;
  }

  /** @internal */
  noteReplay(gap: boolean): void {
    this.gap = this.gap === true || gap;
  }

  /** Leaves a broadcast channel; a no-op if not in it. */
  leave(channel: string): void {
    if (!this.joined?.delete(channel)) return;
    this.membership?.leave(this, channel);
  }

  /** Calls `listener(reason)` once when the connection closes (at once if already closed). */
  onClose(listener: SseCloseListener): void {
    if (this.isClosed) {
      this.callCloseListener(listener);
      return;
    }
    this.closeListeners.push(listener);
  }

  /** Ends the stream. `onDisconnect` is called with reason `'server'`. */
  close(): void {
    this.terminate('server');
  }

  /**
   * Ends the stream with a given reason. `destroy` drops unsent bytes at once, which is how a
   * slow consumer must be closed: `end()` would queue behind data the client never reads.
   * @internal
   */
  terminate(reason: SseDisconnectReason, destroy = false): void {
    if (this.isClosed) return;
    this.markClosed(reason);
    if (destroy) this.response.destroy();
    else this.response.end();
    // An HTTP/2 client keeps its idle session open, which would hold the server's close():
    // at shutdown, end the session gracefully (GOAWAY; its other streams may finish).
    if (reason === 'shutdown')
      (this.response as unknown as Http2ServerResponse).stream?.session?.close();
  }

  /**
   * Writes the status line and headers at once, then the initial `retry:` hint.
   * @internal
   */
  open({ retry, keepalive, maxLifetime }: OpenOptions): void {
    const response = this.response;
    // The client may have left while an async `authorize` (or a guard) ran: its 'close' is gone.
    const stream = (response as unknown as Http2ServerResponse).stream;
    if (response.destroyed || response.socket?.destroyed || stream?.destroyed) {
      this.markClosed('client');
      return;
    }
    response.on('close', () => this.markClosed('client'));
    response.on('error', () => this.terminate('client', true));
    response.on('drain', () => this.onDrain());
    const httpVersionMajor =
      (response as { req?: { httpVersionMajor?: number } }).req?.httpVersionMajor ?? 1;
    response.writeHead(200, eventStreamHeaders(httpVersionMajor));
    response.flushHeaders();
    const socket = response.socket;
    socket?.setNoDelay?.(true);
    // Broadcast frames go straight to the socket as ready-made HTTP/1.1 chunks: the same bytes
    // ServerResponse.write would produce, without its per-write work (several times slower on
    // responses whose prototype a framework replaced, as Express does). Not when something wrapped
    // `write` (compression, loggers), and never on HTTP/2.
    const chunked = (response as { chunkedEncoding?: boolean }).chunkedEncoding === true;
    if (chunked && socket && !Object.prototype.hasOwnProperty.call(response, 'write')) {
      this.chunkedSocket = socket;
    }
    this.retryHint = retry;
    if (retry !== undefined) this.tryWrite(() => encodeEvent({ retry }));
    if (keepalive > 0) this.keepaliveScheduler.set(this, keepalive);
    if (maxLifetime && maxLifetime > 0) this.lifetimeScheduler.schedule(this, maxLifetime);
  }

  /**
   * Hot path of a broadcast: writes an already-encoded frame shared by every member.
   * @internal
   */
  deliver(frame: OutgoingFrame): void {
    if (this.isClosed) return;
    if (this.dropping && !this.hasDrained()) {
      this.counters.eventsDropped++;
      return;
    }
    this.counters.eventsSent++;
    this.writeShared(frame);
  }

  /** @internal */
  sendKeepalive(): void {
    if (!this.isClosed) this.writeShared(KEEPALIVE);
  }

  /**
   * Ends the stream at the end of its `maxLifetime`, after a `retry:` hint.
   * @internal
   */
  expire(): void {
    if (this.isClosed) return;
    this.tryWrite(() => encodeEvent({ retry: this.retryHint ?? 1000 }));
    this.terminate('lifetime');
  }

  /**
   * End of a tick in which this connection was written to: the tick's frames leave in one
   * `writev`, then the bytes still waiting in Node are held against `maxBufferedBytes`. Over it,
   * the connection is watched (`checkBacklog`), since a client reading a large event is not slow;
   * it is slow at once if its backlog grows by another `maxBufferedBytes` meanwhile.
   * @internal
   */
  flushTick(): void {
    this.inTick = false;
    if (this.corked) {
      this.corked = false;
      this.chunkedSocket?.uncork();
    }
    if (this.isClosed) return;
    const pending = this.pendingBytes();
    if (pending <= this.limits.maxBufferedBytes || this.dropping) return;
    if (this.overBound < 0) {
      this.overBound = pending;
      watchBacklog(this);
    } else if (pending > this.overBound + this.limits.maxBufferedBytes) {
      this.slowConsumer(pending, `grew by over maxBufferedBytes while over it`);
    }
  }

  /**
   * The shared check of a connection over its byte bound, about once a second: slow (closed, or
   * skipped by broadcasts with `'drop'`) when its backlog is still over the bound and did not
   * shrink since the last look; a client that reads keeps its stream.
   * @internal
   */
  checkBacklog(): boolean {
    const pending = this.bufferedBytes; // 0 once closed
    if (this.overBound < 0 || pending <= this.limits.maxBufferedBytes) {
      this.overBound = -1;
      return false;
    }
    if (pending < this.overBound) {
      this.overBound = pending; // draining: look again later
      return true;
    }
    this.slowConsumer(pending, `not drained for ${BACKLOG_CHECK_MS} ms`);
    return false;
  }

  /** Past the byte bound for good: closed, or (`'drop'`) skipped by broadcasts until it drains. */
  private slowConsumer(pending: number, why: string): void {
    this.overBound = -1;
    if (this.limits.slowConsumer === 'drop') {
      this.dropping = true;
      return;
    }
    this.counters.slowConsumerCloses++;
    this.logger.warn(
      `Closed SSE connection ${this.id} on ${this.endpoint}: slow consumer, ${pending} bytes ` +
        `waiting, ${why} (maxBufferedBytes ${this.limits.maxBufferedBytes})`,
    );
    this.terminate('slow-consumer', true);
  }

  private writeShared(frame: OutgoingFrame): void {
    this.beforeWrite(frame.bytes.length);
    if (this.chunkedSocket) this.chunkedSocket.write(frame.chunked);
    else this.response.write(frame.bytes);
  }

  /** Counts the bytes; on the tick's first write, corks the socket and asks for `flushTick`. */
  private beforeWrite(bytes: number): void {
    this.counters.bytesWritten += bytes;
    if (this.inTick) return;
    this.inTick = true;
    const socket = this.chunkedSocket;
    if (socket && !socket.writableCorked) {
      socket.cork();
      this.corked = true;
    }
    flushAtTickEnd(this);
  }

  /**
   * Bytes waiting in Node. With the direct socket path they all sit in the socket (the response
   * buffers nothing once its headers are out), and reading the socket skips the response's getter,
   * which is slow on responses whose prototype Express replaced.
   */
  private pendingBytes(): number {
    return this.chunkedSocket ? this.chunkedSocket.writableLength : this.response.writableLength;
  }

  /** Half the bound as hysteresis, so a dropping connection does not flap at the limit. */
  private hasDrained(): boolean {
    if (this.pendingBytes() > this.limits.maxBufferedBytes / 2) return false;
    this.dropping = false;
    return true;
  }

  private write(frame: string): Promise<void> {
    if (this.isClosed) return Promise.reject(new SseClosedError(this.id));
    this.countDirectWrite(frame);
    if (this.response.write(frame)) return RESOLVED;
    return (this.drained ??= new Promise<void>((resolve, reject) => {
      this.settleDrain = (error) => (error ? reject(error) : resolve());
    }));
  }

  private tryWrite(encode: () => string): boolean {
    if (this.isClosed) return false;
    let frame: string;
    try {
      frame = encode();
    } catch {
      return false;
    }
    this.countDirectWrite(frame);
    this.response.write(frame);
    return true;
  }

  private countDirectWrite(frame: string): void {
    this.counters.eventsSent++;
    this.beforeWrite(Buffer.byteLength(frame));
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
    try {
      listener(this.reason!);
    } catch (error) {
      const { message, stack } = describeError(error);
      this.logger.error(`A close listener of SSE connection ${this.id} threw: ${message}`, stack);
    }
  }
}

const EMPTY_SET: ReadonlySet<string> = new Set();
const NO_CHANNELS =
  'Channels need broadcasting: use SseModule, or pass `channels` from createBroadcaster() to createSseHandler';
