import { Injectable, Module } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { finalize, interval, map } from 'rxjs';
import {
  SseEndpoint,
  SseModule,
  type OnSseConnect,
  type OnSseDisconnect,
  type SseConnection,
} from '../../src/index.js';
import { connectSse, type SseTestStream } from '../../src/testing/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { sleep, waitUntil } from '../helpers/wait.js';

/** What the sources did, as the server saw it. */
@Injectable()
class Probe {
  produced = 0;
  /** `produced` when the connection closed. */
  producedAtClose = -1;
  finallyRan = 0;
  unsubscribed = 0;
  pipeOutcome: string | null = null;
  /** The URL of a local server whose response body never ends (the "model"). */
  modelUrl = '';
}

/** A generator that counts what it produced and when its `finally` ran. */
async function* numbers(probe: Probe, count: number, size: number, delayMs = 0) {
  const pad = 'x'.repeat(size);
  try {
    for (let i = 0; i < count; i++) {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      probe.produced++;
      yield `${i} ${pad}`;
    }
  } finally {
    probe.finallyRan++;
  }
}

/** Reads a streamed HTTP body with `fetch`, as a client of a language model does. */
async function* fetchTokens(url: string, signal: AbortSignal) {
  const response = await fetch(url, { signal });
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) yield decoder.decode(chunk, { stream: true });
}

@SseEndpoint('/numbers')
class NumbersEndpoint implements OnSseConnect, OnSseDisconnect {
  constructor(private readonly probe: Probe) {}
  async onConnect(sse: SseConnection): Promise<void> {
    const count = Number(sse.request.query.count ?? 1000);
    const size = Number(sse.request.query.size ?? 0);
    const delay = Number(sse.request.query.delay ?? 0);
    try {
      await sse.pipe(numbers(this.probe, count, size, delay), { event: 'n' });
      this.probe.pipeOutcome = 'resolved';
    } catch (error) {
      this.probe.pipeOutcome = (error as Error).name;
      throw error;
    }
    await sse.sendEvent({ event: 'done', data: '' });
    sse.close();
  }
  onDisconnect(): void {
    this.probe.producedAtClose = this.probe.produced;
  }
}

@SseEndpoint('/model')
class ModelEndpoint implements OnSseConnect {
  constructor(private readonly probe: Probe) {}
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.pipe(fetchTokens(this.probe.modelUrl, sse.signal), { event: 'token' });
  }
}

@SseEndpoint('/ticks')
class TicksEndpoint implements OnSseConnect {
  constructor(private readonly probe: Probe) {}
  async onConnect(sse: SseConnection): Promise<void> {
    const ticks = interval(10).pipe(
      map((i) => ({ n: i })),
      finalize(() => this.probe.unsubscribed++),
    );
    await sse.pipe(ticks, { event: 'tick' });
  }
}

@SseEndpoint('/failing')
class FailingEndpoint implements OnSseConnect {
  async onConnect(sse: SseConnection): Promise<void> {
    async function* twoThenThrow() {
      yield 'one';
      yield 'two';
      throw new Error('the model went away');
    }
    try {
      await sse.pipe(twoThenThrow());
    } catch (error) {
      await sse.sendEvent({ event: 'failed', data: (error as Error).message });
    }
    const badName = sse.pipe(['never', 'read'], { event: 'bad\nname' });
    await badName.catch((error: Error) =>
      sse.sendEvent({ event: 'refused', data: `${error.name}: ${error.message}` }),
    );
    await sse.pipe(['still', 'open'], { event: 'after' });
    await sse.sendEvent({ event: 'done', data: '' });
    sse.close();
  }
}

@SseEndpoint('/failing-through')
class FailingThroughEndpoint implements OnSseConnect {
  async onConnect(sse: SseConnection): Promise<void> {
    async function* oneThenThrow() {
      yield 'one';
      throw new Error('the model went away');
    }
    await sse.pipe(oneThenThrow());
  }
}

@Module({
  imports: [SseModule.forRoot()],
  providers: [
    Probe,
    NumbersEndpoint,
    ModelEndpoint,
    TicksEndpoint,
    FailingEndpoint,
    FailingThroughEndpoint,
  ],
})
class PipeModule {}

/** A server whose responses send one chunk, then never finish; records when a client aborts. */
async function startEndlessModel(): Promise<{
  server: Server;
  url: string;
  aborted: () => number;
}> {
  let aborted = 0;
  const server = createServer((request: IncomingMessage, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.write('first token');
    response.on('close', () => {
      if (!response.writableEnded) aborted++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { server, url, aborted: () => aborted };
}

describe.each(PLATFORMS)('sse.pipe on %s', (platform) => {
  let app: TestApp;
  let probe: Probe;
  let logger: CapturingLogger;
  let model: Awaited<ReturnType<typeof startEndlessModel>>;
  const streams: SseTestStream[] = [];
  const open = async (path: string) => {
    const stream = await connectSse(app.app, path);
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    logger = new CapturingLogger();
    model = await startEndlessModel();
    app = await startApp(PipeModule, platform, undefined, logger);
    probe = app.app.get(Probe);
    probe.modelUrl = model.url;
  });
  beforeEach(() => Object.assign(probe, new Probe(), { modelUrl: model.url }));
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await app?.close();
    model?.server.closeAllConnections();
    model?.server.close();
  });

  it('sends 1,000 items in order, reading the source only as fast as the client reads', async () => {
    const stream = await open('/numbers?count=1000&size=16384');
    expect(stream.status).toBe(200);
    const first = await stream.take(10);
    // The client stops reading: the socket buffers fill, and the server stops asking for items.
    let seen = -1;
    while (seen !== probe.produced) {
      seen = probe.produced;
      await sleep(200);
    }
    const producedWhilePaused = probe.produced;
    const rest = await stream.take(990, { timeout: 20000 });
    const done = await stream.next();
    const indexes = [...first, ...rest].map((e) => Number(e.data.split(' ')[0]));
    expect(indexes).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...first, ...rest].every((e) => e.event === 'n')).toBe(true);
    expect(done.event).toBe('done');
    // 16 KiB items: whatever the kernel's socket buffers hold, far from the whole source.
    console.log(
      `pipe backpressure (${platform}): 10 items read, ${producedWhilePaused} of 1000 produced`,
    );
    expect(producedWhilePaused).toBeLessThan(500);
    expect(probe.pipeOutcome).toBe('resolved');
  });

  it('closing the client stops the generator within one item (its finally runs)', async () => {
    const stream = await open('/numbers?count=100000&delay=20');
    await stream.take(3);
    stream.close();
    await waitUntil(() => probe.finallyRan === 1, 'the generator finally');
    expect(probe.producedAtClose).toBeGreaterThanOrEqual(3);
    expect(probe.produced - probe.producedAtClose).toBeLessThanOrEqual(1);
    await waitUntil(() => probe.pipeOutcome !== null, 'the pipe to settle');
    expect(probe.pipeOutcome).toBe('SseClosedError');
    expect(logger.messages('error')).toEqual([]);
  });

  it('closing the client aborts a fetch given sse.signal', async () => {
    const stream = await open('/model');
    expect(await stream.next()).toMatchObject({ event: 'token', data: 'first token' });
    expect(model.aborted()).toBe(0);
    stream.close();
    await waitUntil(() => model.aborted() === 1, 'the model server to see the abort');
    expect(logger.messages('error')).toEqual([]);
  });

  it('an Observable source is unsubscribed when the client leaves', async () => {
    const stream = await open('/ticks');
    const ticks = await stream.take(3);
    expect(ticks.map((e) => [e.event, JSON.parse(e.data)])).toEqual([
      ['tick', { n: 0 }],
      ['tick', { n: 1 }],
      ['tick', { n: 2 }],
    ]);
    expect(probe.unsubscribed).toBe(0);
    stream.close();
    await waitUntil(() => probe.unsubscribed === 1, 'the Observable to be unsubscribed');
  });

  it('a source that throws is logged, rejects the pipe, and the stream stays usable; a bad option rejects it before the source is read, not logged', async () => {
    const stream = await open('/failing');
    const events = await stream.until((e) => e.event === 'done');
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['message', 'one'],
      ['message', 'two'],
      ['failed', 'the model went away'],
      ['refused', 'TypeError: sse.pipe() option event: SSE event name must not contain CR or LF'],
      ['after', 'still'],
      ['after', 'open'],
      ['done', ''],
    ]);
    expect(logger.messages('error')).toEqual([
      expect.stringMatching(
        /^The source piped to SSE connection \S+ on \/failing failed: the model went away$/,
      ),
    ]);
  });

  it('a source failure that reaches onConnect closes the stream, logged once (by the pipe)', async () => {
    const before = logger.messages('error').length;
    const stream = await open('/failing-through');
    await expect(stream.take(2)).rejects.toThrow(/ended \(after 1 events\)/);
    expect(stream.received.map((e) => e.data)).toEqual(['one']);
    expect(stream.ended).toBe(true);
    await sleep(50);
    expect(logger.messages('error').slice(before)).toEqual([
      expect.stringMatching(
        /^The source piped to SSE connection \S+ on \/failing-through failed: the model went away$/,
      ),
    ]);
  });
});
