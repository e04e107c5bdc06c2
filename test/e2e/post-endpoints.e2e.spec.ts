import {
  All,
  Body,
  Controller,
  Get,
  Module,
  Post,
  ValidationPipe,
  VersioningType,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BroadcastService, SseEndpoint, SseModule } from '../../src/index.js';
import { sign, Observed } from '../fixtures/secured-app.js';
import { ChatEndpoint, PostEndpointsModule, Seen } from '../fixtures/post-endpoints-app.js';
import { fetchSse } from '../helpers/fetch-sse.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { waitUntil } from '../helpers/wait.js';

describe.each(PLATFORMS)('POST (PUT, PATCH, DELETE) endpoints on %s', (platform) => {
  let server: TestApp;
  let seen: Seen;

  beforeAll(async () => {
    server = await startApp(PostEndpointsModule, platform, (app) => {
      app.enableCors({ origin: 'https://app.example' });
      app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
    });
    seen = server.app.get(Seen);
  });
  afterAll(() => server.close());

  it('hands the parsed body to onConnect as sse.request.body and as a validated @Body() DTO', async () => {
    const stream = await fetchSse(`${server.url}/v1/chat?lang=fr`, {
      body: { prompt: 'hello streaming world', tokens: '3' },
      headers: { 'x-client': 'test' },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const body = await stream.ended;
    expect(body).toContain('event: done');
    const [first, ...rest] = stream.events;
    expect(JSON.parse(first.data)).toEqual({
      isDto: true,
      prompt: 'hello streaming world',
      lang: 'fr',
      client: 'test',
      method: 'POST',
    });
    expect(rest.map((e) => [e.event, e.data])).toEqual([
      ['token', 'hello'],
      ['token', 'streaming'],
      ['token', 'world'],
      ['done', ''],
    ]);
    expect(seen.bodies.at(-1)).toEqual({ prompt: 'hello streaming world', tokens: '3' });
    expect(server.app.get(Observed).intercepted).toContainEqual({
      url: '/v1/chat?lang=fr',
      endpoint: 'ChatEndpoint',
    });
    await waitUntil(() => seen.disconnects.length > 0, 'onDisconnect');
  });

  it("answers a ValidationPipe's 400 with Nest's usual body before any stream (method, class and global pipes)", async () => {
    const connects = seen.connects.length;
    const methodPipe = await fetchSse(`${server.url}/v1/chat`, { body: { prompt: 42 } });
    expect(methodPipe.status).toBe(400);
    expect(methodPipe.headers.get('content-type')).toMatch(/application\/json/);
    expect(JSON.parse(await methodPipe.ended)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: [
        'prompt must be shorter than or equal to 200 characters',
        'prompt must be a string',
      ],
    });
    const classPipe = await fetchSse(`${server.url}/v1/rooms/7/messages`, {
      method: 'PUT',
      body: {},
      headers: { authorization: `Bearer ${sign('42')}` },
    });
    expect(classPipe.status).toBe(400);
    expect(JSON.parse(await classPipe.ended)).toMatchObject({
      statusCode: 400,
      message: expect.arrayContaining(['prompt must be a string']),
    });
    expect(seen.connects.length).toBe(connects);
  });

  it("answers a guard's 401 and 403 with their JSON bodies before any stream", async () => {
    const connects = seen.connects.length;
    const unauthorized = await fetchSse(`${server.url}/v1/rooms/7/messages`, {
      method: 'PUT',
      body: { prompt: 'hi' },
    });
    expect(unauthorized.status).toBe(401);
    expect(JSON.parse(await unauthorized.ended)).toMatchObject({
      statusCode: 401,
      message: 'A valid bearer token is required',
    });
    const forbidden = await fetchSse(`${server.url}/v1/admin/chat`, {
      method: 'PATCH',
      body: { prompt: 'hi' },
    });
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(await forbidden.ended)).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'Forbidden resource',
    });
    expect(seen.connects.length).toBe(connects);
    const admitted = await fetchSse(`${server.url}/v1/admin/chat`, {
      method: 'PATCH',
      body: { prompt: 'hi' },
      headers: { 'x-role': 'admin' },
    });
    expect(admitted.status).toBe(200);
    await admitted.ended;
    expect(JSON.parse(admitted.events[0].data)).toEqual({ body: { prompt: 'hi' } });
  });

  it('streams to the guarded user with route params, and applies the connection limit', async () => {
    const init = {
      method: 'PUT',
      body: { prompt: 'hi' },
      headers: { authorization: `Bearer ${sign('42')}` },
    };
    const first = await fetchSse(`${server.url}/v1/rooms/7/messages`, init);
    const [event] = await first.waitForEvents(1);
    expect(JSON.parse(event.data)).toEqual({ room: '7', prompt: 'hi', user: { id: '42' } });
    const second = await fetchSse(`${server.url}/v1/rooms/7/messages`, init);
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).not.toBeNull();
    await second.ended;
    first.close();
  });

  it('answers the CORS preflight of a POST stream, then streams with the CORS headers', async () => {
    const preflight = await fetch(`${server.url}/v1/chat`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const stream = await fetchSse(`${server.url}/v1/chat`, {
      body: { prompt: 'cors' },
      headers: { origin: 'https://app.example' },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('access-control-allow-origin')).toBe('https://app.example');
    await stream.ended;
  });

  it('serves a GET endpoint and a POST endpoint on one path', async () => {
    const feed = await RawSseClient.open(`${server.url}/v1/chat`);
    await feed.waitForEvents(1);
    expect(feed.events[0]).toMatchObject({ event: 'feed', data: 'GET' });
    const chat = await fetchSse(`${server.url}/v1/chat`, { body: { prompt: 'one path' } });
    await chat.ended;
    expect(chat.events.at(-1)).toMatchObject({ event: 'done' });
    // Both are members of the path's broadcast channel.
    await server.app.get(BroadcastService).toEndpoint(ChatEndpoint, 'to both');
    await feed.waitForEvents(2);
    expect(feed.events[1].data).toBe('to both');
    feed.close();
  });

  it('validates with a global ValidationPipe (app.useGlobalPipes)', async () => {
    const app = await startApp(PostEndpointsModule, platform, (a) => {
      a.useGlobalPipes(new ValidationPipe());
    });
    try {
      const refused = await fetchSse(`${app.url}/plain`, { method: 'DELETE', body: {} });
      expect(refused.status).toBe(400);
      expect(JSON.parse(await refused.ended)).toMatchObject({
        statusCode: 400,
        message: expect.arrayContaining(['prompt must be a string']),
      });
      const admitted = await fetchSse(`${app.url}/plain`, {
        method: 'DELETE',
        body: { prompt: 'bye' },
      });
      expect(admitted.status).toBe(200);
      await admitted.ended;
      expect(JSON.parse(admitted.events[0].data)).toEqual({ prompt: 'bye' });
    } finally {
      await app.close();
    }
  });
});

describe('endpoint methods at startup', () => {
  /** The message of the error `app.init()` fails with. */
  async function initError(module: Type<unknown>): Promise<string> {
    const app = await NestFactory.create(module, { logger: false });
    try {
      await app.init();
      return 'app.init() did not fail';
    } catch (error) {
      return (error as Error).message;
    } finally {
      await app.close();
    }
  }

  it('refuses a method it cannot serve', async () => {
    @SseEndpoint('/x', { method: 'HEAD' as never })
    class HeadEndpoint {}
    @Module({ imports: [SseModule.forRoot()], providers: [HeadEndpoint] })
    class HeadModule {}
    expect(await initError(HeadModule)).toContain(
      `@SseEndpoint on HeadEndpoint has method "HEAD": use 'GET' (default), 'POST', 'PUT', 'PATCH' or 'DELETE'`,
    );
  });

  it("refuses a POST endpoint on a controller's POST route (or @All), not on its GET route", async () => {
    @Controller('chat')
    class ChatController {
      @Get()
      list(): string[] {
        return [];
      }
      @Post()
      send(): void {}
    }
    @SseEndpoint('/chat', { method: 'POST' })
    class ChatStream {}
    @Module({
      imports: [SseModule.forRoot()],
      controllers: [ChatController],
      providers: [ChatStream],
    })
    class ClashModule {}
    expect(await initError(ClashModule)).toContain(
      'SSE endpoint ChatStream cannot be served at POST /chat: ChatController.send already serves POST /chat',
    );

    @Controller('any')
    class AnyController {
      @All()
      any(): void {}
    }
    @SseEndpoint('/any', { method: 'PUT' })
    class AnyStream {}
    @Module({
      imports: [SseModule.forRoot()],
      controllers: [AnyController],
      providers: [AnyStream],
    })
    class AllModule {}
    expect(await initError(AllModule)).toContain(
      'SSE endpoint AnyStream cannot be served at PUT /any: AnyController.any already serves PUT /any',
    );
  });

  it('refuses a parameter decorator on the connection parameter of onConnect', async () => {
    @SseEndpoint('/body', { method: 'POST' })
    class BodyFirst {
      onConnect(@Body() _body: unknown): void {}
    }
    @Module({ imports: [SseModule.forRoot()], providers: [BodyFirst] })
    class BodyModule {}
    expect(await initError(BodyModule)).toContain(
      'BodyFirst.onConnect: its first parameter is the connection (sse); put parameter decorators such as @Body() on the parameters after it',
    );
  });
});
