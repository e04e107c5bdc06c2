/** One event as a client received it. */
export interface ReceivedSseEvent {
  /** The `event:` field; `'message'` when the event had none (as in a browser). */
  event: string;
  /** The `data:` lines, joined with `\n`. JSON stays a string: `JSON.parse(e.data)`. */
  data: string;
  /** This event's own `id:` field; `undefined` when it had none. */
  id: string | undefined;
  /** The reconnection delay the stream set last (`retry:`), in ms; `undefined` if none yet. */
  retry: number | undefined;
}
