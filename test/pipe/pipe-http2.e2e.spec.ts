import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createParser } from 'eventsource-parser';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { SseEndpoint, SseModule, type OnSseConnect, type SseConnection } from '../../src/index.js';
import { sleep, waitUntil } from '../helpers/wait.js';

@Injectable()
class Probe {
  produced = 0;
  finallyRan = 0;
}

/** 1,000 items of 16 KiB, counted as the generator produces them. */
@SseEndpoint('/numbers')
class NumbersEndpoint implements OnSseConnect {
  constructor(private readonly probe: Probe) {}
  async onConnect(sse: SseConnection): Promise<void> {
    const probe = this.probe;
    const pad = 'x'.repeat(16384);
    async function* numbers() {
      try {
        for (let i = 0; i < 1000; i++) {
          probe.produced++;
          yield `${i} ${pad}`;
        }
      } finally {
        probe.finallyRan++;
      }
    }
    await sse.pipe(numbers(), { event: 'n' });
    await sse.sendEvent({ event: 'done', data: '' });
    sse.close();
  }
}

@Module({ imports: [SseModule.forRoot()], providers: [Probe, NumbersEndpoint] })
class PipeH2Module {}

/** sse.pipe over HTTP/2 (Fastify, cleartext): the stream's flow control is the backpressure. */
describe('sse.pipe over HTTP/2', () => {
  let app: INestApplication;
  let session: ClientHttp2Session;
  let probe: Probe;

  beforeAll(async () => {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    app = await NestFactory.create(PipeH2Module, new FastifyAdapter({ http2: true }) as never, {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    session = connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    probe = app.get(Probe);
  });
  afterAll(async () => {
    session?.close();
    await app?.close();
  });

  function open() {
    const stream = session.request({ ':path': '/numbers', accept: 'text/event-stream' });
    const events: { event?: string; data: string }[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e) });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      parser.feed(chunk);
      if (events.length >= 10 && !paused) {
        paused = true;
        stream.pause();
      }
    });
    stream.on('error', () => undefined);
    let paused = false;
    return { stream, events };
  }

  it('a paused reader leaves the source far from read; resumed, all 1,000 arrive in order', async () => {
    Object.assign(probe, new Probe());
    const { stream, events } = open();
    await waitUntil(() => events.length >= 10, 'ten events');
    let seen = -1;
    while (seen !== probe.produced) {
      seen = probe.produced;
      await sleep(200);
    }
    const producedWhilePaused = probe.produced;
    stream.resume();
    await waitUntil(() => events.some((e) => e.event === 'done'), 'the done event', 20000);
    const indexes = events.filter((e) => e.event === 'n').map((e) => Number(e.data.split(' ')[0]));
    expect(indexes).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    console.log(`pipe backpressure (HTTP/2): ${producedWhilePaused} of 1000 produced while paused`);
    expect(producedWhilePaused).toBeLessThan(500);
  });

  it('a stream the client cancels (as a browser does) stops the generator (its finally runs)', async () => {
    Object.assign(probe, new Probe());
    const { stream, events } = open();
    await waitUntil(() => events.length >= 10, 'ten events');
    stream.close(constants.NGHTTP2_CANCEL); // RST_STREAM, as a browser's abort sends
    await waitUntil(() => probe.finallyRan === 1, 'the generator finally');
    expect(probe.produced).toBeLessThan(1000);
  });
});
