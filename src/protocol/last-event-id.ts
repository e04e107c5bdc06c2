/** The longest `Last-Event-ID` we accept, in bytes; longer values are treated as absent. */
export const MAX_LAST_EVENT_ID_BYTES = 1024;

const FORBIDDEN = /[\0\r\n]/;

/**
 * Reads a `Last-Event-ID` request header. Returns `null` when it is absent, empty, repeated,
 * longer than 1 KiB or contains NUL, CR or LF: a malformed id is ignored, never an error.
 */
export function parseLastEventId(header: string | string[] | undefined | null): string | null {
  if (typeof header !== 'string' || header.length === 0) return null;
  if (header.length > MAX_LAST_EVENT_ID_BYTES) return null;
  if (Buffer.byteLength(header) > MAX_LAST_EVENT_ID_BYTES) return null;
  if (FORBIDDEN.test(header)) return null;
  return header;
}
