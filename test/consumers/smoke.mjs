// Smoke test of the packed library against the @nestjs/* installed beside it (each variant of
// test/consumers/run.sh). Plain JavaScript with decorators applied as functions: no compiler.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Inject, Injectable, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventSource } from 'eventsource';
import { BroadcastService, SseEndpoint, SseModule } from 'nestjs-sse-endpoint';

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
