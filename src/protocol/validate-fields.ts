const LINE_BREAK_OR_NUL = /[\r\n\0]/;
const LINE_BREAK = /[\r\n]/;

/** Throws a `TypeError` unless `name` can be written as an `event:` field without ending the line. */
export function assertEventName(name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw new TypeError(`SSE event name must be a string, got ${typeof name}`);
  }
  if (LINE_BREAK.test(name)) {
    throw new TypeError('SSE event name must not contain CR or LF');
  }
}

/** Throws a `TypeError` unless `id` can be written as an `id:` field (no CR, LF or NUL). */
export function assertEventId(id: unknown): asserts id is string | number {
  if (typeof id === 'number') {
    if (!Number.isFinite(id)) throw new TypeError(`SSE event id must be finite, got ${id}`);
    return;
  }
  if (typeof id !== 'string') {
    throw new TypeError(`SSE event id must be a string or a number, got ${typeof id}`);
  }
  if (LINE_BREAK_OR_NUL.test(id)) {
    throw new TypeError('SSE event id must not contain CR, LF or NUL');
  }
}

/** Throws a `TypeError` unless `retry` is a non-negative integer (milliseconds). */
export function assertRetry(retry: unknown): asserts retry is number {
  if (typeof retry !== 'number' || !Number.isSafeInteger(retry) || retry < 0) {
    throw new TypeError(
      `SSE retry must be a non-negative integer of milliseconds, got ${String(retry)}`,
    );
  }
}
