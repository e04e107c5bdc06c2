// Smoke test of the packed library against the @nestjs/* installed beside it (each variant of
// test/consumers/run.sh). Plain JavaScript with decorators applied as functions: no compiler.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  UseGuards,
  VersioningType,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { EventSource } from 'eventsource';
import {
  BroadcastService,
  MemoryTransport,
  SseEndpoint,
  SseHealthIndicator,
  SseModule,
} from 'nestjs-sse-endpoint';
import { connectSse } from 'nestjs-sse-endpoint/testing';

const disconnects = [];

class Greeter {
  greet(name) {
    return `hello ${name}`;
  }
}
Injectable()(Greeter);

class HelloEndpoint {
  constructor(greeter) {
    this.greeter = greeter;
  }
  async onConnect(sse) {
    await sse.sendEvent({ event: 'welcome', data: this.greeter.greet(sse.request.query.name) });
    await sse.join('news');
  }
  onDisconnect(_sse, reason) {
    disconnects.push(reason);
  }
}
Inject(Greeter)(HelloEndpoint, undefined, 0);
SseEndpoint('/hello', { keepalive: 1 })(HelloEndpoint);

class DenyAll {
  canActivate() {
    return false;
  }
}
class GuardedEndpoint {}
UseGuards(DenyAll)(GuardedEndpoint);
SseEndpoint('/guarded')(GuardedEndpoint);

class AppModule {}
Module({ imports: [SseModule.forRoot()], providers: [Greeter, HelloEndpoint, GuardedEndpoint] })(
  AppModule,
);

test('the library works on this Nest version', async () => {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${app.getHttpServer().address().port}`;

  const guarded = await fetch(`${url}/guarded`);
  assert.equal(guarded.status, 403);

  const source = new EventSource(`${url}/hello?name=nest`);
  const events = [];
  const arrived = (n) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out; got ${JSON.stringify(events)}`)),
        5000,
      );
      const check = () =>
        events.length >= n ? (clearTimeout(timer), resolve()) : setTimeout(check, 10);
      check();
    });
  source.addEventListener('welcome', (e) => events.push(['welcome', e.data]));
  source.addEventListener('message', (e) => events.push(['message', e.data]));
  await arrived(1);
  const broadcast = app.get(BroadcastService);
  while (broadcast.localCount('news') === 0) await new Promise((r) => setTimeout(r, 10));
  await broadcast.publish('news', { text: 'published' });
  await arrived(2);
  assert.deepEqual(events, [
    ['welcome', 'hello nest'],
    ['message', '{"text":"published"}'],
  ]);
  source.close();
  await app.close();
  assert.deepEqual(disconnects, ['shutdown']);
});

test('choosing the Redis transport without ioredis installed fails with the install command', async () => {
  class RedisModule {}
  Module({ imports: [SseModule.forRoot({ transport: { type: 'redis' } })] })(RedisModule);
  await assert.rejects(
    NestFactory.create(RedisModule, { logger: false, abortOnError: false }),
    /npm install ioredis/,
  );
});

// The README's health check on terminus 11: 200 while the transport is up, 503 while it is down.
class HealthController {
  constructor(health, sseHealth) {
    this.health = health;
    this.sseHealth = sseHealth;
  }
  check() {
    return this.health.check([() => this.sseHealth.isHealthy('sse')]);
  }
}
Inject(HealthCheckService)(HealthController, undefined, 0);
Inject(SseHealthIndicator)(HealthController, undefined, 1);
Controller()(HealthController);
const check = Object.getOwnPropertyDescriptor(HealthController.prototype, 'check');
Get('health')(HealthController.prototype, 'check', check);
HealthCheck()(HealthController.prototype, 'check', check);

/** A memory transport whose state reads as the test sets it. */
function switchableTransport() {
  const memory = new MemoryTransport();
  return {
    down: false,
    get state() {
      return this.down ? 'down' : 'up';
    },
    start: (sink, logger) => memory.start(sink, logger),
    publish: (channel, body, options) => memory.publish(channel, body, options),
    subscribe: (channel) => memory.subscribe(channel),
    unsubscribe: (channel) => memory.unsubscribe(channel),
    keepsHistory: (channel) => memory.keepsHistory(channel),
    history: (channel, sinceId) => memory.history(channel, sinceId),
    close: () => memory.close(),
  };
}

test('SseHealthIndicator with @nestjs/terminus: 200 up, 503 down', async () => {
  const transport = switchableTransport();
  class HealthModule {}
  Module({
    imports: [SseModule.forRoot({ transport }), TerminusModule.forRoot({ logger: false })],
    controllers: [HealthController],
  })(HealthModule);
  const app = await NestFactory.create(HealthModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${app.getHttpServer().address().port}/health`;
  const up = await fetch(url);
  assert.equal(up.status, 200);
  assert.deepEqual((await up.json()).info, {
    sse: { status: 'up', transport: 'up', connections: 0 },
  });
  transport.down = true;
  const down = await fetch(url);
  assert.equal(down.status, 503);
  assert.deepEqual((await down.json()).error, {
    sse: { status: 'down', transport: 'down', connections: 0 },
  });
  await app.close();
});

// RoutePathFactory (a Nest internal, src/nest/nest-internals.ts) on this Nest version.
test('endpoint paths take the global prefix and URI versions as controllers do', async () => {
  class PathsModule {}
  Module({ imports: [SseModule.forRoot()], providers: [Greeter, HelloEndpoint] })(PathsModule);
  const app = await NestFactory.create(PathsModule, { logger: false });
  app.setGlobalPrefix('api');
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  const controller = new AbortController();
  const response = await fetch(`${url}/api/v1/hello?name=v1`, { signal: controller.signal });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  controller.abort();
  assert.equal((await fetch(`${url}/hello`)).status, 404);
  await app.close();
});

// The testing entry, with the eventsource-parser npm installed as the package's dependency.
test('connectSse (nestjs-sse-endpoint/testing) reads a stream of an app not yet listening', async () => {
  const app = await NestFactory.create(AppModule, { logger: false });
  const stream = await connectSse(app, '/hello?name=tester');
  assert.equal(stream.status, 200);
  assert.deepEqual(await stream.next(), {
    event: 'welcome',
    data: 'hello tester',
    id: undefined,
    retry: undefined,
  });
  stream.close();
  await app.close();
});
