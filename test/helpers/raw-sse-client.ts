import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * A raw HTTP SSE client: keeps the exact bytes and the parsed events, so tests can check the
 * wire format byte by byte and through a spec-conformant parser.
 */
export class RawSseClient {
  readonly events: EventSourceMessage[] = [];
  readonly comments: string[] = [];
  raw = '';
  status = 0;
  headers: IncomingHttpHeaders = {};
  ended = false;
  private response?: IncomingMessage;
  private readonly waiters = new Set<() => void>();

  static open(url: string, headers: Record<string, string> = {}): Promise<RawSseClient> {
    const client = new RawSseClient();
    return client.connect(url, headers).then(() => client);
  }

  private connect(url: string, headers: Record<string, string>): Promise<void> {
    const parser = createParser({
      onEvent: (event) => this.events.push(event),
      onComment: (comment) => this.comments.push(comment),
    });
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { headers: { accept: 'text/event-stream', ...headers }, agent: false },
        (res) => {
          this.response = res;
          this.status = res.statusCode ?? 0;
          this.headers = res.headers;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            this.raw += chunk;
            parser.feed(chunk);
            this.notify();
          });
          const finish = () => {
            this.ended = true;
            this.notify();
          };
          res.on('end', finish);
          res.on('close', finish);
          res.on('error', finish);
          resolve();
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** Resolves when `predicate` holds (checked after every chunk), rejects after `timeoutMs`. */
  waitFor(
    predicate: (client: this) => boolean,
    timeoutMs = 5000,
    what = 'condition',
  ): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `Timed out waiting for ${what}; received: ${JSON.stringify(this.raw.slice(-500))}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  waitForEvents(count: number, timeoutMs?: number): Promise<void> {
    return this.waitFor((c) => c.events.length >= count, timeoutMs, `${count} events`);
  }

  waitForEnd(timeoutMs?: number): Promise<void> {
    return this.waitFor((c) => c.ended, timeoutMs, 'the stream to end');
  }

  close(): void {
    this.response?.destroy();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
