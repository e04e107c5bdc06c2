import {
  Body,
  Injectable,
  Module,
  UseGuards,
  UsePipes,
  ValidationPipe,
  type CanActivate,
} from '@nestjs/common';
import { IsString } from 'class-validator';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { SseEndpoint, SseModule, type OnSseConnect, type SseConnection } from '../../src/index.js';
import { connectSse, type SseTestStream } from '../../src/testing/index.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { waitUntil } from '../helpers/wait.js';

/** Sends what the test asks about: its fields, the request it saw, then ends when told. */
@SseEndpoint('/echo', { retry: 250 })
class EchoEndpoint implements OnSseConnect, OnSseDisconnect {
  readonly reasons = new Map<string, SseDisconnectReason>();
  onDisconnect(sse: SseConnection, reason: SseDisconnectReason): void {
    this.reasons.set(String(sse.request.query.tag), reason);
  }
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.sendEvent({ event: 'fields', id: '1', data: { x: 1 } });
    await sse.send('plain');
    await sse.sendJson({
      method: sse.request.method,
      lastEventId: sse.lastEventId,
      header: sse.request.headers['x-test'] ?? null,
    });
    if (sse.request.query.end === '1') sse.close();
  }
}

@Injectable()
class DenyAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@SseEndpoint('/guarded')
@UseGuards(DenyAll)
class GuardedEndpoint {}

class PromptDto {
  @IsString()
  prompt!: string;
}

/** A POST stream: echoes its validated body, then the body as the request saw it. */
@SseEndpoint('/prompt', { method: 'POST' })
class PromptEndpoint implements OnSseConnect {
  @UsePipes(new ValidationPipe())
  async onConnect(sse: SseConnection, @Body() body: PromptDto): Promise<void> {
    await sse.sendEvent({ event: 'prompt', data: body.prompt });
    await sse.sendJson({ body: sse.request.body, type: sse.request.headers['content-type'] });
  }
}

@Module({
  imports: [SseModule.forRoot()],
  providers: [EchoEndpoint, GuardedEndpoint, DenyAll, PromptEndpoint],
})
class TestingModule {}

describe.each(PLATFORMS)('connectSse on %s', (platform) => {
  let app: TestApp;
  const streams: SseTestStream[] = [];
  const open = async (path: string, options?: Parameters<typeof connectSse>[2]) => {
    const stream = await connectSse(app.app, path, options);
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    app = await startApp(TestingModule, platform);
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await app?.close();
  });

  it('reads events as { event, data, id, retry } with status and headers', async () => {
    const stream = await open('/echo');
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(await stream.next()).toEqual({ event: 'fields', data: '{"x":1}', id: '1', retry: 250 });
    expect(await stream.next()).toEqual({
      event: 'message',
      data: 'plain',
      id: undefined,
      retry: 250,
    });
    expect(stream.lastEventId).toBe('1');
  });

  it('sends lastEventId as Last-Event-ID, and the headers given', async () => {
    const stream = await open('/echo', { lastEventId: '42', headers: { 'X-Test': 'yes' } });
    const [, , echo] = await stream.take(3);
    expect(JSON.parse(echo.data)).toEqual({ method: 'GET', lastEventId: '42', header: 'yes' });
  });

  it('POSTs a body object as JSON', async () => {
    const stream = await open('/prompt', { method: 'POST', body: { prompt: 'hi' } });
    expect(stream.status).toBe(200);
    const [prompt, echo] = await stream.take(2);
    expect(prompt).toMatchObject({ event: 'prompt', data: 'hi' });
    expect(JSON.parse(echo.data)).toEqual({ body: { prompt: 'hi' }, type: 'application/json' });
  });

  it('POSTs a string or bytes as they are, with the content-type given', async () => {
    const stream = await open('/prompt', {
      method: 'post',
      body: 'prompt=form',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect((await stream.next()).data).toBe('form');
    const bytes = await open('/prompt', {
      method: 'POST',
      body: new TextEncoder().encode('{"prompt":"bytes"}'),
      headers: { 'content-type': 'application/json' },
    });
    expect((await bytes.next()).data).toBe('bytes');
  });

  it("a ValidationPipe's 400: next() rejects with the status and Nest's body", async () => {
    const stream = await open('/prompt', { method: 'POST', body: { prompt: 42 } });
    expect(stream.status).toBe(400);
    await expect(stream.next()).rejects.toThrow(
      /^connectSse: POST \/prompt answered 400 \(application\/json[^)]*\), not an event stream: .*prompt must be a string/,
    );
  });

  it('until() returns the events read up to the one that matches', async () => {
    const stream = await open('/echo');
    const events = await stream.until((e) => e.data === 'plain');
    expect(events.map((e) => e.event)).toEqual(['fields', 'message']);
  });

  it('next() rejects after its timeout, naming the request and what arrived', async () => {
    const stream = await open('/echo');
    await stream.take(3);
    await expect(stream.next({ timeout: 100 })).rejects.toThrow(
      'connectSse: no event on GET /echo within 100 ms (3 received so far)',
    );
  });

  it('next() rejects once the server ended the stream', async () => {
    const stream = await open('/echo?end=1');
    await stream.take(3);
    await expect(stream.next()).rejects.toThrow(
      'connectSse: the stream of GET /echo?end=1 ended (after 3 events)',
    );
    expect(stream.ended).toBe(true);
  });

  it('a refused request: status and headers set, next() rejects with the body', async () => {
    const stream = await open('/guarded');
    expect(stream.status).toBe(403);
    expect(stream.headers['content-type']).toMatch(/^application\/json/);
    await expect(stream.next()).rejects.toThrow(
      /^connectSse: GET \/guarded answered 403 \(application\/json[^)]*\), not an event stream: \{.*"statusCode":403/,
    );
  });

  it("close() ends the request as a closed tab does ('client'); later reads reject", async () => {
    const stream = await open('/echo?tag=closing');
    await stream.next();
    stream.close();
    await expect(stream.next()).rejects.toThrow('was closed by the test');
    const reasons = app.app.get(EchoEndpoint).reasons;
    await waitUntil(() => reasons.has('closing'), 'onDisconnect');
    expect(reasons.get('closing')).toBe('client');
  });
});

describe('connectSse on an app that is not listening', () => {
  it('listens on an ephemeral port of 127.0.0.1 first', async () => {
    const app = await NestFactory.create(TestingModule, new ExpressAdapter(), { logger: false });
    try {
      const stream = await connectSse(app, '/echo');
      expect((await stream.next()).event).toBe('fields');
      expect(app.getHttpServer().address()).toMatchObject({ address: '127.0.0.1' });
      stream.close();
    } finally {
      await app.close();
    }
  });
});
