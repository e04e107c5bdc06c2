import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import {
  encodeComment,
  encodeData,
  encodeEvent,
  type SseEvent,
  type SseEventMap,
  type SseEventOf,
} from '../protocol/index.js';
import type { ChannelMembership } from './channel-membership.js';
import { ConnectionController, type SseCloseListener } from './connection-controller.js';
import type { SseDisconnectReason } from './disconnect-reason.js';
import type { KeepaliveScheduler } from './keepalive-scheduler.js';
import type { LifetimeScheduler } from './lifetime-scheduler.js';
import { pipeSource, type SsePipeSource } from './pipe/pipe-source.js';
import type { SsePipeOptions } from './pipe/piped-event.js';
import type { SseCounters } from './sse-counters.js';
import type { SseLogger } from './sse-logger.js';
import type { SseRequest } from './sse-request.js';
import type { WriteLimits } from './write-budget.js';

/** Carries a connection's event map, for the compiler only (no such property exists). */
declare const eventMap: unique symbol;

/** The event map `E` of an `SseConnection<E>` (or a subclass of one). */
export type EventMapOf<C> = C extends { readonly [eventMap]?: infer E extends SseEventMap }
  ? E
  : SseEventMap;

/** The Node response an event stream is written to (HTTP/1.1 or HTTP/2 compatibility API). */
export type SseResponse = ServerResponse | Http2ServerResponse;

/** Everything a connection is built from. Library code constructs connections; apps don't. */
export interface SseConnectionInit {
  request: SseRequest;
  response: SseResponse;
  /** The endpoint's path pattern, e.g. `/rooms/:id`; also the name of its broadcast channel. */
  endpoint: string;
  /** Where the request resumes from (`Last-Event-ID`, else the `lastEventId` query parameter). */
  lastEventId: string | null;
  /** Whether the request sent a non-empty last event id, valid or not. */
  resuming: boolean;
  keepaliveScheduler: KeepaliveScheduler;
  /** Absent when the connection runs without broadcasting (`join` then throws). */
  channels?: ChannelMembership;
  logger: SseLogger;
  /** The byte bound and what happens past it. */
  limits: WriteLimits;
  counters: SseCounters;
  lifetimeScheduler: LifetimeScheduler;
}

/**
 * One client's event stream. Subclass it and pass the subclass as `connectionClass` to add your
 * own helpers; keep the constructor's signature (`constructor(init: SseConnectionInit)`).
 *
 * Writes come in two kinds: `send*` return a Promise that resolves when the bytes are handed to
 * the socket (waiting for `drain` under backpressure) and reject with {@link SseClosedError} once
 * the connection is closed; `trySend*` are synchronous, never throw for a closed connection and
 * return `false` instead. Invalid fields (`event`/`id` with a line break, a bad `retry`) throw
 * `TypeError` from `send*` and make `trySend*` return `false`.
 *
 * `SseConnection<Events>`, with `Events` an event map such as
 * `{ notification: { text: string }; ping: undefined }`, checks `sendEvent` / `trySendEvent` at
 * compile time: a declared `event` name with its declared `data`. Without a type argument any
 * `SseEvent` goes. Types only: the same object at run time.
 */
export class SseConnection<E extends SseEventMap = SseEventMap> {
  // Read from `this` by sendEvent: `E` stays covariant, so an `SseConnection<Events>` goes
  // wherever an `SseConnection` does.
  declare readonly [eventMap]?: E;
  /** A unique id (UUID), usable in `publish(..., { except })` from any process. */
  readonly id: string;
  /** The request that opened the stream. */
  readonly request: SseRequest;
  /** The endpoint's path pattern (its broadcast channel). */
  readonly endpoint: string;
  /**
   * The `Last-Event-ID` header, else the `lastEventId` query parameter (`lastEventIdQueryParam`);
   * `null` when absent or malformed (over 1 KiB, NUL, CR or LF).
   */
  readonly lastEventId: string | null;
  /** Whether the request carried a non-empty last event id, header or query (valid or not). */
  readonly resuming: boolean;
  readonly #core: ConnectionController;
  #stash: Record<string, unknown> | null = null;

  constructor(init: SseConnectionInit) {
    this.request = init.request;
    this.endpoint = init.endpoint;
    this.lastEventId = init.lastEventId;
    // The event map is a compile-time view only: the controller sees the one runtime class.
    this.#core = new ConnectionController(this as SseConnection, init);
    this.id = this.#core.id;
    this.resuming = this.#core.resume.resuming;
  }

  /** A per-connection object for the application's own state. */
  get stash(): Record<string, unknown> {
    return (this.#stash ??= {});
  }

  /** Aborted when the connection closes: hand it to `fetch`, timers, or async iterators. */
  get signal(): AbortSignal {
    return this.#core.signal;
  }

  /** `true` once the stream has ended, whoever ended it. */
  get closed(): boolean {
    return this.#core.closed;
  }

  /** Why the connection closed, or `null` while it is open. */
  get closeReason(): SseDisconnectReason | null {
    return this.#core.closeReason;
  }

  /** Bytes written to this connection that its socket has not accepted yet. */
  get bufferedBytes(): number {
    return this.#core.bufferedBytes;
  }

  /** The broadcast channels this connection is in (its endpoint's channel included). */
  get channels(): ReadonlySet<string> {
    return this.#core.channels;
  }

  /** Sends `data` as one event (JSON-encoded unless a string). */
  send(data: unknown): Promise<void> {
    return this.#core.write(encodeData(data));
  }

  /** Sends `value` JSON-encoded, even when it is a string. */
  sendJson(value: unknown): Promise<void> {
    return this.#core.write(encodeData(JSON.stringify(value) ?? 'null'));
  }

  /** Sends an event with optional `event`, `id` and `retry` fields (checked against `E`). */
  sendEvent<C extends SseConnection<any>>(
    this: C,
    event: SseEventOf<EventMapOf<C>>,
  ): Promise<void> {
    return this.#core.write(encodeEvent(event as SseEvent));
  }

  /** Sends a comment line, which clients ignore. */
  comment(text?: string): Promise<void> {
    return this.#core.write(encodeComment(text));
  }

  /** Like `send`, but synchronous: `false` when closed, never throws. */
  trySend(data: unknown): boolean {
    return this.#core.tryWrite(() => encodeData(data));
  }

  /** Like `sendJson`, but synchronous: `false` when closed or not serialisable, never throws. */
  trySendJson(value: unknown): boolean {
    return this.#core.tryWrite(() => encodeData(JSON.stringify(value) ?? 'null'));
  }

  /** Like `sendEvent`, but synchronous: `false` when closed or a field is invalid, never throws. */
  trySendEvent<C extends SseConnection<any>>(this: C, event: SseEventOf<EventMapOf<C>>): boolean {
    return this.#core.tryWrite(() => encodeEvent(event as SseEvent));
  }

  /**
   * Sends each item of `source` — an async iterable (an async generator), an iterable, or an rxjs
   * `Observable` — as one event, one at a time: the next item is read only once the previous one
   * reached the socket (after `drain` when the client reads slowly). An item is sent as it is
   * when it is SseEvent-shaped (a plain object with an own `data` and no keys but `data`,
   * `event`, `id`, `retry`); any other item becomes the `data` (a string as it is, else JSON).
   * `options.map(item)` shapes items into events instead; `options.event` names the events that
   * have no name of their own.
   *
   * Resolves when the source completes. When the client leaves, the source is stopped —
   * `return()` on its iterator (a generator's `finally` runs after the item it is working on),
   * `unsubscribe()` on an Observable — and the pipe rejects with {@link SseClosedError}; hand
   * {@link SseConnection.signal} to the `fetch` behind the source to cancel it too. When the
   * source throws, the error is logged and rejects the pipe; the stream stays open unless you
   * close it. An Observable cannot be paused: what it emits while a write waits is queued.
   *
   * @example A one-shot stream, ended by an `event: done` the client waits for:
   * ```ts
   * async onConnect(sse: SseConnection) {
   *   await sse.pipe(model.tokens(prompt, sse.signal), { event: 'token' });
   *   await sse.sendEvent({ event: 'done', data: '' });
   *   sse.close();
   * }
   * ```
   */
  pipe<T>(source: SsePipeSource<T>, options?: SsePipeOptions<T>): Promise<void> {
    return pipeSource(this.#core, source, options);
  }

  /** Changes this connection's keepalive interval (seconds; 0 turns it off). */
  keepalive(seconds: number): void {
    this.#core.setKeepalive(seconds);
  }

  /**
   * Joins a broadcast channel. Resolves once the connection receives the channel's events; with
   * history and a `Last-Event-ID`, once what it missed was read — the channels joined in
   * `onConnect` are replayed together, in id order, before anything written after the joins.
   */
  join(channel: string): Promise<void> {
    return this.#core.join(channel);
  }

  /** Leaves a broadcast channel; a no-op if not in it. */
  leave(channel: string): void {
    this.#core.leave(channel);
  }

  /**
   * After a resumed connection joined a channel with history: `false` when every missed event was
   * replayed, `true` when some may be lost (the id is older than what is kept, unknown or
   * malformed, or the history could not be read: send a full refresh). `null` when the request had
   * no `Last-Event-ID` (or before the first such join). Final once the `join` that replays has
   * resolved.
   */
  get replayGap(): boolean | null {
    return this.#core.resume.gap;
  }

  /**
   * Sends the events of a history channel published after `sinceId`, without joining it.
   * Resolves with `true` when some may be missing (as `replayGap`).
   */
  replay(channel: string, sinceId: string): Promise<boolean> {
    return this.#core.replay(channel, sinceId);
  }

  /** Calls `listener(reason)` once when the connection closes (at once if already closed). */
  onClose(listener: SseCloseListener): void {
    this.#core.onClose(listener);
  }

  /** Ends the stream. `onDisconnect` is called with reason `'server'`. */
  close(): void {
    this.#core.terminate('server');
  }
}
