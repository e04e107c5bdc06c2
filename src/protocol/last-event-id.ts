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

/** Where a request resumes from, read from its `Last-Event-ID` header or query parameter. */
export interface ResumePoint {
  /** The validated id; `null` when absent or malformed. */
  lastEventId: string | null;
  /** Whether the request asked to resume: a non-empty id was sent (valid or not). */
  resuming: boolean;
}

const FRESH: ResumePoint = { lastEventId: null, resuming: false };

/**
 * The one place that decides where a request resumes from. The `Last-Event-ID` header wins; without
 * it (absent or empty), the query parameter `queryParam` of `url` is read instead (`false`: never),
 * so a page reloaded with `?lastEventId=…` resumes as an `EventSource` reconnection does. Either is
 * validated by {@link parseLastEventId}: a malformed id (or a repeated parameter) is ignored, and
 * the request still counts as resuming, as with the header.
 */
export function readResumePoint(
  header: string | string[] | undefined,
  url: string,
  queryParam: string | false,
): ResumePoint {
  if (header !== undefined && header !== '') {
    return { lastEventId: parseLastEventId(header), resuming: true };
  }
  if (queryParam === false) return FRESH;
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return FRESH;
  const values = new URLSearchParams(url.slice(queryStart + 1)).getAll(queryParam);
  if (values.length === 0 || (values.length === 1 && values[0] === '')) return FRESH;
  return { lastEventId: values.length === 1 ? parseLastEventId(values[0]) : null, resuming: true };
}
