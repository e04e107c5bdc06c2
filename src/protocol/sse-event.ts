/**
 * One server-sent event as the application describes it.
 *
 * `data` that is not a string is JSON-encoded; `undefined` data sends no `data:` line
 * (useful for a frame that only carries `retry`).
 */
export interface SseEvent {
  data?: unknown;
  /** The event type (`event:` field). No CR or LF. */
  event?: string;
  /** The event id (`id:` field), echoed back by the browser as `Last-Event-ID`. No CR, LF or NUL. */
  id?: string | number;
  /** Reconnection delay in milliseconds (`retry:` field). A non-negative integer. */
  retry?: number;
}
