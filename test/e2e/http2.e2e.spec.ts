import { Body, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import {
  BroadcastService,
  SseEndpoint,
  SseModule,
  type OnSseConnect,
  type OnSseDisconnect,
  type SseConnection,
  type SseDisconnectReason,
} from '../../src/index.js';
import { waitUntil } from '../helpers/wait.js';

const reasons: SseDisconnectReason[] = [];

@SseEndpoint('/h2', { maxBufferedBytes: 64 * 1024 })
class H2Endpoint implements OnSseConnect, OnSseDisconnect {
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.sendEvent({ event: 'ready', data: sse.request.method });
  }
  onDisconnect(_sse: SseConnection, reason: SseDisconnectReason): void {
    reasons.push(reason);
  }
}

@SseEndpoint('/h2', { method: 'POST' })
class H2PostEndpoint implements OnSseConnect {
  async onConnect(sse: SseConnection, @Body() body: { prompt: string }): Promise<void> {
    await sse.sendEvent({ event: 'echo', data: `${sse.request.method} ${body.prompt}` });
    sse.close();
  }
}

@Module({ imports: [SseModule.forRoot()], providers: [H2Endpoint, H2PostEndpoint] })
class H2Module {}

function open(session: ClientHttp2Session): {
  stream: ClientHttp2Stream;
  text: () => string;
  headers: Promise<Record<string, unknown>>;
} {
  const stream = session.request({ ':path': '/h2', accept: 'text/event-stream' });
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  stream.on('error', () => undefined);
  const headers = new Promise<Record<string, unknown>>((resolve) =>
    stream.once('response', resolve),
  );
  return { stream, text: () => text, headers };
}

/** The module on Fastify over cleartext HTTP/2, and a client session to it. */
async function startH2(): Promise<{ app: INestApplication; session: ClientHttp2Session }> {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const app = await NestFactory.create(H2Module, new FastifyAdapter({ http2: true }) as never, {
    logger: false,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const session = connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  return { app, session };
}

describe('HTTP/2 on Fastify', () => {
  it('streams without a Connection header, detects a closed stream, and bounds each stream on its own', async () => {
    const { app, session } = await startH2();
    try {
      const reader = open(session);
      const headers = await reader.headers;
      expect(headers[':status']).toBe(200);
      expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(headers['connection']).toBeUndefined();
      await waitUntil(() => reader.text().includes('event: ready'), 'the first event');

      // A second stream on the same connection that stops reading: flow control fills its
      // window, its bytes wait in Node, and it alone is closed as a slow consumer.
      const stalled = open(session);
      await stalled.headers;
      stalled.stream.pause();
      const broadcast = app.get(BroadcastService);
      const chunk = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 40; i++) {
        await broadcast.toEndpoint(H2Endpoint, `${i}:${chunk}`);
        await waitUntil(
          () => reader.text().includes(`data: ${i}:`),
          `event ${i} on the reading stream`,
        );
      }
      await waitUntil(() => reasons.includes('slow-consumer'), 'the stalled stream to be closed');
      expect(reader.stream.closed).toBe(false);

      reader.stream.close();
      await waitUntil(() => reasons.length === 2, 'the closed stream to be detected');
      expect(reasons.sort()).toEqual(['client', 'slow-consumer']);
    } finally {
      session.destroy();
      await app.close();
    }
  });

  it('serves a POST endpoint with its body beside the GET endpoint of the same path', async () => {
    const { app, session } = await startH2();
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/h2',
        accept: 'text/event-stream',
        'content-type': 'application/json',
      });
      stream.end(JSON.stringify({ prompt: 'over h2' }));
      let text = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (text += chunk));
      const headers = await new Promise<Record<string, unknown>>((resolve) =>
        stream.once('response', resolve),
      );
      expect(headers[':status']).toBe(200);
      await new Promise((resolve) => stream.once('end', resolve));
      expect(text).toContain('event: echo\ndata: POST over h2\n\n');
    } finally {
      session.destroy();
      await app.close();
    }
  });

  it('closes even while a client keeps its HTTP/2 session open', async () => {
    const { app, session } = await startH2();
    const reader = open(session);
    await waitUntil(() => reader.text().includes('event: ready'), 'the first event');
    const before = reasons.length;
    await app.close(); // hangs if the idle session is left open
    expect(reasons.slice(before)).toEqual(['shutdown']);
    await waitUntil(() => session.closed || session.destroyed, 'the session to end');
  });
});
