import type { SseEvent } from './sse-event.js';

/**
 * Event names mapped to the type of their data, e.g.
 * `type Events = { notification: { text: string }; ping: undefined }`. Used as
 * `SseConnection<Events>` and `broadcast.channel<Events>(name)`; types only, nothing at run time.
 */
export type SseEventMap = Record<string, any>;

/** `data` as declared; optional when the declared type admits `undefined`. */
type DataField<T> = undefined extends T ? { data?: T } : { data: T };

/** One event of the map `E`: a declared `event` name with its declared `data`, and `id`/`retry`. */
export type TypedSseEvent<E extends SseEventMap> = {
  [K in keyof E & string]: Omit<SseEvent, 'event' | 'data'> & { event: K } & DataField<E[K]>;
}[keyof E & string];

/**
 * What a connection's `sendEvent` takes: any `SseEvent` when `E` is the untyped default
 * (`SseEventMap`, any name), else a {@link TypedSseEvent} of `E`.
 */
export type SseEventOf<E extends SseEventMap> = string extends keyof E
  ? SseEvent
  : TypedSseEvent<E>;

/**
 * The arguments after the event name of a typed publish: the declared data (which may be left out
 * when its type admits `undefined`), then options.
 */
export type TypedPublishArgs<T, Options> = undefined extends T
  ? [data?: T, options?: Options]
  : [data: T, options?: Options];
