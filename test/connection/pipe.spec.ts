import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { of } from 'rxjs';
import {
  SseClosedError,
  createSseHandler,
  type SseConnection,
  type SseHandler,
  type SseLogger,
} from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { waitUntil } from '../helpers/wait.js';

/** sse.pipe without Nest: what each kind of source and item becomes on the wire. */
describe('sse.pipe', () => {
  let server: Server;
  let handler: SseHandler;
  let url: string;
  let onConnect: (sse: SseConnection) => Promise<void>;
  const errors: string[] = [];
  const logger: SseLogger = {
    log: () => undefined,
    warn: () => undefined,
    error: (message) => errors.push(message),
  };

  beforeAll(async () => {
    handler = createSseHandler({ onConnect: (sse) => onConnect(sse) }, { logger, keepalive: 0 });
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => (errors.length = 0));
  afterAll(() => {
    handler.close();
    server.close();
  });

  async function run(pipe: (sse: SseConnection) => Promise<void>) {
    let outcome: unknown = 'pending';
    onConnect = async (sse) => {
      try {
        await pipe(sse);
        outcome = 'resolved';
      } catch (error) {
        outcome = error;
      }
      sse.close();
    };
    const client = await RawSseClient.open(url);
    await client.waitForEnd();
    return { events: client.events.map(({ event, data, id }) => ({ event, data, id })), outcome };
  }

  it('sends SseEvent-shaped items as they are, others as data; options.event names the rest', async () => {
    const { events, outcome } = await run((sse) =>
      sse.pipe(['text', { data: 'x', event: 'own', id: '7' }, { id: 1, text: 't' }, 3], {
        event: 'item',
      }),
    );
    expect(outcome).toBe('resolved');
    expect(events).toEqual([
      { event: 'item', data: 'text', id: undefined },
      { event: 'own', data: 'x', id: '7' },
      { event: 'item', data: '{"id":1,"text":"t"}', id: undefined },
      { event: 'item', data: '3', id: undefined },
    ]);
  });

  it('map shapes each item', async () => {
    const { events } = await run((sse) =>
      sse.pipe(of(1, 2), { map: (n) => ({ event: 'n', id: String(n), data: { n } }) }),
    );
    expect(events).toEqual([
      { event: 'n', data: '{"n":1}', id: '1' },
      { event: 'n', data: '{"n":2}', id: '2' },
    ]);
  });

  it('a string or a plain object is not a source: TypeError', async () => {
    const { outcome } = await run((sse) => sse.pipe('abc' as never));
    expect(outcome).toBeInstanceOf(TypeError);
    const second = await run((sse) => sse.pipe({ data: 1 } as never));
    expect(second.outcome).toBeInstanceOf(TypeError);
  });

  it('an invalid event (a line break in its name) is logged, stops the source, rejects', async () => {
    let stopped = false;
    async function* source() {
      try {
        yield 'a';
        yield 'b';
      } finally {
        stopped = true;
      }
    }
    const { events, outcome } = await run((sse) =>
      sse.pipe(source(), { map: (data) => ({ event: data === 'b' ? 'x\ny' : 'ok', data }) }),
    );
    expect(events).toEqual([{ event: 'ok', data: 'a', id: undefined }]);
    expect(outcome).toBeInstanceOf(TypeError);
    expect(stopped).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('on a closed connection: rejects with SseClosedError and stops the source at once', async () => {
    let stopped = false;
    async function* source() {
      try {
        yield 'never sent';
      } finally {
        stopped = true;
      }
    }
    const iterator = source();
    await iterator.next(); // started: return() now runs its finally
    let outcome: unknown;
    onConnect = async (sse) => {
      sse.close();
      outcome = await sse.pipe(iterator).catch((error: unknown) => error);
    };
    const client = await RawSseClient.open(url);
    await client.waitForEnd();
    await waitUntil(() => outcome !== undefined, 'the pipe to settle');
    expect(outcome).toBeInstanceOf(SseClosedError);
    expect(stopped).toBe(true);
    expect(errors).toEqual([]);
  });

  it('a source that never yields again: the pipe settles as soon as the client leaves', async () => {
    let outcome: unknown;
    let returned = false;
    const idle: AsyncIterator<string> & AsyncIterable<string> = {
      next: () => new Promise(() => undefined),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    onConnect = async (sse) => {
      outcome = await sse.pipe(idle).catch((error: unknown) => error);
    };
    const client = await RawSseClient.open(url);
    client.close();
    await waitUntil(() => outcome !== undefined, 'the pipe to settle');
    expect(outcome).toBeInstanceOf(SseClosedError);
    expect(returned).toBe(true);
  });
});
