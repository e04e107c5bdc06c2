import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { ReceivedSseEvent } from './received-event.js';
import { noEventWithin, notAStream, streamClosed, streamEnded } from './testing.messages.js';

/** How long `next`, `take` and `until` wait for an event unless told. */
export const DEFAULT_EVENT_TIMEOUT = 5000;

/** The most body text a refused request's error message shows. */
const BODY_IN_MESSAGE = 2000;

export interface WaitOptions {
  /** Milliseconds to wait; rejects with what was received so far. */
  timeout?: number;
}

/**
 * A client's side of one event stream, read on demand: the response is read only while `next`,
 * `take` or `until` waits for an event, so a test that stops reading is a slow client.
 */
export class SseTestStream {
  /** The response's status code. */
  readonly status: number;
  /** The response's headers (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  /** Events received so far, in order (what `next` returned and what it will return). */
  readonly received: ReceivedSseEvent[] = [];
  /** The last `id:` the stream sent, as a browser keeps it for `Last-Event-ID`. */
  lastEventId = '';
  /** The reconnection delay the stream set last (`retry:`), in ms. */
  retry: number | undefined;
  /** Comment lines received (keepalives are empty comments). */
  comments = 0;

  private readonly queue: ReceivedSseEvent[] = [];
  private readonly parser: EventSourceParser;
  private chunks: AsyncIterator<string> | null = null;
  private reading: Promise<void> | null = null;
  private end: Error | null = null;
  private closedByTest = false;
  private readonly refusal: Promise<Error> | null;

  constructor(
    private readonly response: IncomingMessage,
    private readonly what: string,
    private readonly timeout = DEFAULT_EVENT_TIMEOUT,
  ) {
    this.status = response.statusCode ?? 0;
    this.headers = response.headers;
    response.setEncoding('utf8');
    this.parser = createParser({
      onEvent: ({ event, data, id }) => {
        if (this.closedByTest) return;
        if (id !== undefined) this.lastEventId = id;
        const received = { event: event ?? 'message', data, id, retry: this.retry };
        this.queue.push(received);
        this.received.push(received);
      },
      onRetry: (retry) => (this.retry = retry),
      onComment: () => this.comments++,
    });
    const type = String(response.headers['content-type'] ?? '');
    const ok = this.status >= 200 && this.status < 300 && type.startsWith('text/event-stream');
    this.refusal = ok ? null : this.readRefusal(type);
  }

  /** `true` once the stream has ended (by the server, the network, or `close()`). */
  get ended(): boolean {
    return this.end !== null;
  }

  /**
   * The next event. Rejects when none arrives within the timeout, when the stream ended, and —
   * with the status and the body in the message — when the response was not a 2xx event stream.
   */
  async next(options?: WaitOptions): Promise<ReceivedSseEvent> {
    const timeout = options?.timeout ?? this.timeout;
    const deadline = Date.now() + timeout;
    while (this.queue.length === 0) {
      if (this.refusal) throw await this.refusal;
      if (this.end) throw this.end;
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.readWithin(left)))
        throw new Error(noEventWithin(this.what, timeout, this.received.length));
    }
    return this.queue.shift()!;
  }

  /** The next `count` events (each within the timeout). */
  async take(count: number, options?: WaitOptions): Promise<ReceivedSseEvent[]> {
    const events: ReceivedSseEvent[] = [];
    const deadline = Date.now() + (options?.timeout ?? this.timeout);
    while (events.length < count) events.push(await this.next(this.remaining(deadline)));
    return events;
  }

  /**
   * Reads events until `predicate` holds for one; resolves with every event read, that one last.
   * The timeout is for the whole wait.
   */
  async until(
    predicate: (event: ReceivedSseEvent) => boolean,
    options?: WaitOptions,
  ): Promise<ReceivedSseEvent[]> {
    const events: ReceivedSseEvent[] = [];
    const deadline = Date.now() + (options?.timeout ?? this.timeout);
    for (;;) {
      const event = await this.next(this.remaining(deadline));
      events.push(event);
      if (predicate(event)) return events;
    }
  }

  /** Ends the request, as a closed tab does; later reads reject, events not read are dropped. */
  close(): void {
    this.end ??= new Error(streamClosed(this.what));
    this.closedByTest = true;
    this.queue.length = 0;
    this.response.destroy();
  }

  private remaining(deadline: number): WaitOptions {
    return { timeout: Math.max(0, deadline - Date.now()) };
  }

  /** Reads one more chunk; `false` when `ms` passed first (the read goes on for the next call). */
  private async readWithin(ms: number): Promise<boolean> {
    const read = (this.reading ??= this.readChunk().finally(() => (this.reading = null)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([read.then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async readChunk(): Promise<void> {
    try {
      this.chunks ??= this.response[Symbol.asyncIterator]();
      const chunk = await this.chunks.next();
      if (chunk.done) this.end ??= new Error(streamEnded(this.what, this.received.length));
      else this.parser.feed(chunk.value);
    } catch (error) {
      this.end ??= new Error(
        `${streamEnded(this.what, this.received.length)}: ${(error as Error).message}`,
      );
    }
  }

  private async readRefusal(type: string): Promise<Error> {
    let body = '';
    try {
      for await (const chunk of this.response as AsyncIterable<string>) {
        body += chunk;
        if (body.length > BODY_IN_MESSAGE) break;
      }
    } catch {
      // What arrived before the connection broke is all there is.
    }
    if (body.length > BODY_IN_MESSAGE) body = `${body.slice(0, BODY_IN_MESSAGE)}…`;
    return new Error(notAStream(this.what, this.status, type, body));
  }
}
