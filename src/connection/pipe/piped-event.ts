import { assertEventName, type SseEvent } from '../../protocol/index.js';
import { PIPE_MAP_NOT_AN_EVENT, pipeOptionInvalid } from '../connection.messages.js';

/** How `sse.pipe` turns items into events. */
export interface SsePipeOptions<T = unknown> {
  /** The `event:` name of every piped event that does not name its own. */
  event?: string;
  /** Shapes each item into the event sent for it (its `event` wins over `options.event`). */
  map?: (item: T) => SseEvent;
}

/** Throws a `TypeError` naming the option that can't be used, before the source is read. */
export function assertPipeOptions(options: SsePipeOptions<never> | undefined): void {
  if (options?.event !== undefined) {
    try {
      assertEventName(options.event);
    } catch (error) {
      throw new TypeError(pipeOptionInvalid('event', (error as Error).message), { cause: error });
    }
  }
  if (options?.map !== undefined && typeof options.map !== 'function')
    throw new TypeError(pipeOptionInvalid('map', `must be a function, got ${typeof options.map}`));
}

const EVENT_KEYS: ReadonlySet<string> = new Set(['data', 'event', 'id', 'retry']);

/**
 * Whether an item is sent as it is: a plain object (made by `{ … }` or `Object.create(null)`)
 * with an own `data` property and no own enumerable keys but `data`, `event`, `id` and `retry`.
 * `{ data: 'hi', event: 'token' }` is an event; `{ id: 7, name: 'x' }`, `{ id: 7 }` (no `data`)
 * and class instances are items, sent as JSON `data`.
 */
export function isSseEventShaped(item: unknown): item is SseEvent {
  if (typeof item !== 'object' || item === null) return false;
  const prototype: unknown = Object.getPrototypeOf(item);
  if (prototype !== Object.prototype && prototype !== null) return false;
  if (!Object.prototype.hasOwnProperty.call(item, 'data')) return false;
  for (const key of Object.keys(item)) if (!EVENT_KEYS.has(key)) return false;
  return true;
}

/**
 * The event sent for one piped item: `map(item)` when given; else the item itself when it is
 * SseEvent-shaped; else `{ data: item }` (a string as it is, anything else as JSON). `options.event`
 * names the events that have no `event` of their own.
 */
export function pipedEvent<T>(item: T, options: SsePipeOptions<T> | undefined): SseEvent {
  let event: SseEvent;
  if (options?.map) {
    event = options.map(item);
    if (typeof event !== 'object' || event === null) throw new TypeError(PIPE_MAP_NOT_AN_EVENT);
  } else event = isSseEventShaped(item) ? item : { data: item };
  const name = options?.event;
  return name === undefined || event.event !== undefined ? event : { ...event, event: name };
}
