/** The HTTP methods an endpoint may be served on. `GET` is what `EventSource` sends. */
export const SSE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * An endpoint's HTTP method. `POST` (and `PUT`, `PATCH`, `DELETE`) streams answer `fetch()`
 * clients that send a body, e.g. a prompt whose answer streams back token by token.
 */
export type SseMethod = (typeof SSE_METHODS)[number];

export function isSseMethod(value: unknown): value is SseMethod {
  return (SSE_METHODS as readonly unknown[]).includes(value);
}
