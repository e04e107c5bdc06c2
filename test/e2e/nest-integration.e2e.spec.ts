import { Controller, Get, Module, VersioningType } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import compression from 'compression';
import { SseEndpoint, SseModule } from '../../src/index.js';
import { ForbiddenFilter, Observed, SecuredModule, sign } from '../fixtures/secured-app.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { sleep } from '../helpers/wait.js';

describe.each(PLATFORMS)('endpoints as Nest routes on %s', (platform) => {
  let server: TestApp;
  let observed: Observed;

  beforeAll(async () => {
    server = await startApp(SecuredModule, platform, (app) => {
      app.enableCors({ origin: 'https://app.example' });
      app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
      ForbiddenFilter.observed = app.get(Observed);
      ForbiddenFilter.adapterHost = app.get(HttpAdapterHost);
    });
    observed = server.app.get(Observed);
  });
  afterAll(() => server.close());

  it('answers 401 from the guard without a token, before any stream and without onConnect', async () => {
    const before = observed.connected.length;
    const client = await RawSseClient.open(`${server.url}/v1/users/42/events`);
    await client.waitForEnd();
    expect(client.status).toBe(401);
    expect(client.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(client.raw)).toMatchObject({
      statusCode: 401,
      message: 'A valid bearer token is required',
    });
    expect(observed.connected.length).toBe(before);
  });

  it('answers 403 through the endpoint filter when authorize refuses another user', async () => {
    const client = await RawSseClient.open(`${server.url}/v1/users/42/events`, {
      authorization: `Bearer ${sign('7')}`,
    });
    await client.waitForEnd();
    expect(client.status).toBe(403);
    expect(JSON.parse(client.raw)).toEqual({ custom: 'no entry' });
    expect(observed.filtered).toContainEqual({ url: '/v1/users/42/events', status: 403 });
  });

  it('opens the stream for the right user, with request.user set by the guard and the interceptor run', async () => {
    const client = await RawSseClient.open(`${server.url}/v1/users/42/events`, {
      authorization: `Bearer ${sign('42')}`,
    });
    await client.waitForEvents(1);
    expect(client.status).toBe(200);
    expect(JSON.parse(client.events[0].data)).toEqual({ user: { id: '42' } });
    expect(observed.intercepted).toContainEqual({
      url: '/v1/users/42/events',
      endpoint: 'UserEvents',
    });
    client.close();
  });

  it('applies global guards (APP_GUARD) reading custom metadata on the endpoint class', async () => {
    const refused = await RawSseClient.open(`${server.url}/v1/admin/events`);
    await refused.waitForEnd();
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.raw)).toMatchObject({
      statusCode: 403,
      message: 'Forbidden resource',
    });
    const admitted = await RawSseClient.open(`${server.url}/v1/admin/events`, {
      'x-role': 'admin',
    });
    await admitted.waitForEvents(1);
    expect(admitted.events[0].data).toBe('admin');
    admitted.close();
  });

  it('applies CORS and URI versioning like a controller route', async () => {
    const client = await RawSseClient.open(`${server.url}/v1/open`, {
      origin: 'https://app.example',
    });
    await client.waitForEvents(1);
    expect(client.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    client.close();
    const v2 = await RawSseClient.open(`${server.url}/v2/versioned`);
    await v2.waitForEvents(1);
    expect(v2.events[0].data).toBe('v2');
    v2.close();
    const unversioned = await RawSseClient.open(`${server.url}/open`);
    await unversioned.waitForEnd();
    expect(unversioned.status).toBe(404);
  });
});

@Controller('events')
class EventsController {
  @Get()
  list(): string[] {
    return [];
  }
}

@SseEndpoint('/events')
class ClashingEndpoint {}

@Module({
  imports: [SseModule.forRoot()],
  controllers: [EventsController],
  providers: [ClashingEndpoint],
})
class ClashModule {}

describe('route clashes', () => {
  it('fails at startup when an endpoint path is a controller route', async () => {
    const app = await NestFactory.create(ClashModule, { logger: false });
    await expect(app.init()).rejects.toThrow(
      'SSE endpoint ClashingEndpoint cannot be served at GET /events: EventsController.list already serves GET /events',
    );
    await app.close();
  });
});

describe('with compression() middleware (Express)', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startApp(SecuredModule, 'express', (app) => {
      app.use(compression());
    });
  });
  afterAll(() => server.close());

  it('delivers an event within 500 ms of the write, uncompressed (compression would hold it)', async () => {
    const observed = server.app.get(Observed);
    const client = await RawSseClient.open(`${server.url}/open`, {
      'accept-encoding': 'gzip, deflate, br',
    });
    await client.waitForEvents(1);
    expect(client.headers['content-encoding']).toBeUndefined();
    await sleep(50);
    const sse = observed.connected[observed.connected.length - 1];
    const written = performance.now();
    await sse.send('timed');
    await client.waitFor((c) => c.events.some((e) => e.data === 'timed'), 2000, 'the timed event');
    expect(performance.now() - written).toBeLessThan(500);
    client.close();
  });
});
