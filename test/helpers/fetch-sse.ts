import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** A stream opened with `fetch` (any method, a body): status, headers, parsed events or body. */
export interface FetchedSse {
  status: number;
  headers: Headers;
  events: EventSourceMessage[];
  /** Everything received, as text. */
  text: () => string;
  /** Resolves when `count` events arrived; rejects when the stream ends or after `timeoutMs`. */
  waitForEvents(count: number, timeoutMs?: number): Promise<EventSourceMessage[]>;
  /** Resolves with the whole body once the server ended it. */
  ended: Promise<string>;
  close(): void;
}

/** Opens `url` with `fetch` as a browser's `fetch()` token-stream client does. */
export async function fetchSse(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<FetchedSse> {
  const abort = new AbortController();
  const hasBody = init.body !== undefined;
  const response = await fetch(url, {
    method: init.method ?? 'POST',
    headers: {
      accept: 'text/event-stream',
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    body: hasBody ? JSON.stringify(init.body) : undefined,
    signal: abort.signal,
  });
  const events: EventSourceMessage[] = [];
  let text = '';
  let done = false;
  const waiters = new Set<() => void>();
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const ended = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body ?? []) {
        const part = decoder.decode(chunk as Uint8Array, { stream: true });
        text += part;
        parser.feed(part);
        for (const waiter of [...waiters]) waiter();
      }
    } catch {
      // aborted by close()
    } finally {
      done = true;
      for (const waiter of [...waiters]) waiter();
    }
    return text;
  })();
  return {
    status: response.status,
    headers: response.headers,
    events,
    text: () => text,
    ended,
    waitForEvents(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (events.length >= count) finish(() => resolve(events.slice(0, count)));
          else if (done) finish(() => reject(new Error(`stream ended after ${text}`)));
        };
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`timed out waiting for ${count} events: ${text}`))),
          timeoutMs,
        );
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
