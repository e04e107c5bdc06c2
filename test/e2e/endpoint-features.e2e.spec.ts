import { Injectable, Module } from '@nestjs/common';
import { connect } from 'node:net';
import {
  SseClosedError,
  SseConnection,
  SseEndpoint,
  SseModule,
  type OnSseConnect,
  type OnSseDisconnect,
  type SseDisconnectReason,
} from '../../src/index.js';
import { SseRuntime } from '../../src/nest/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { sleep, waitUntil } from '../helpers/wait.js';

class GreetingConnection extends SseConnection {
  greet(name: string): Promise<void> {
    return this.sendEvent({ event: 'greeting', data: `hello ${name}` });
  }
}

@Injectable()
class Recorder {
  readonly connected: SseConnection[] = [];
  readonly disconnects: { id: string; endpoint: string; reason: SseDisconnectReason }[] = [];
  disconnectsOf(endpoint: string) {
    return this.disconnects.filter((d) => d.endpoint === endpoint);
  }
}

abstract class Recording implements OnSseDisconnect {
  constructor(protected readonly recorder: Recorder) {}
  onDisconnect(sse: SseConnection, reason: SseDisconnectReason): void {
    this.recorder.disconnects.push({ id: sse.id, endpoint: sse.endpoint, reason });
  }
}

@SseEndpoint('/rooms/:id', { connectionClass: GreetingConnection })
class RoomEndpoint extends Recording implements OnSseConnect<GreetingConnection> {
  constructor(recorder: Recorder) {
    super(recorder);
  }
  async onConnect(sse: GreetingConnection): Promise<void> {
    this.recorder.connected.push(sse);
    await sse.greet(`room ${sse.request.params.id}`);
    await sse.sendJson({
      user: sse.request.user ?? null,
      query: sse.request.query,
      path: sse.request.path,
    });
  }
}

@SseEndpoint('/failing')
class FailingEndpoint extends Recording implements OnSseConnect {
  constructor(recorder: Recorder) {
    super(recorder);
  }
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.send('before the failure');
    throw new Error('boom in onConnect');
  }
}

@SseEndpoint('/ticks', { keepalive: 0.1 })
class TickEndpoint extends Recording implements OnSseConnect {
  constructor(recorder: Recorder) {
    super(recorder);
  }
  onConnect(sse: SseConnection): void {
    this.recorder.connected.push(sse);
  }
}

@SseEndpoint('/plain')
class PlainEndpoint extends Recording implements OnSseConnect {
  constructor(recorder: Recorder) {
    super(recorder);
  }
  onConnect(sse: SseConnection): void {
    this.recorder.connected.push(sse);
  }
}

@Module({
  imports: [SseModule.forRoot({ retry: 1500 })],
  providers: [Recorder, RoomEndpoint, FailingEndpoint, TickEndpoint, PlainEndpoint],
})
class FeaturesModule {}

describe.each(PLATFORMS)('endpoint features on %s', (platform) => {
  let server: TestApp;
  let recorder: Recorder;
  let logger: CapturingLogger;

  beforeEach(async () => {
    logger = new CapturingLogger();
    server = await startApp(
      FeaturesModule,
      platform,
      (app) => {
        app.setGlobalPrefix('api');
        // Stands in for Passport: middleware (or a guard) sets request.user.
        app.use(
          (
            req: { user?: unknown; headers: Record<string, string> },
            _res: unknown,
            next: () => void,
          ) => {
            if (req.headers['x-user']) req.user = { name: req.headers['x-user'] };
            next();
          },
        );
      },
      logger,
    );
    recorder = server.app.get(Recorder);
  });
  afterEach(() => server.close());

  it('serves route params under the global prefix, with the custom connection class and req.user', async () => {
    const client = await RawSseClient.open(`${server.url}/api/rooms/7?x=1`, { 'x-user': 'ada' });
    await client.waitForEvents(2);
    expect(recorder.connected[0]).toBeInstanceOf(GreetingConnection);
    expect(client.raw.startsWith('retry: 1500\n\n')).toBe(true);
    expect(client.events[0]).toMatchObject({ event: 'greeting', data: 'hello room 7' });
    expect(JSON.parse(client.events[1].data)).toEqual({
      user: { name: 'ada' },
      query: { x: '1' },
      path: '/api/rooms/7',
    });
    const missing = await RawSseClient.open(`${server.url}/rooms/7`);
    expect(missing.status).toBe(404);
    client.close();
    missing.close();
  });

  it('logs a failing onConnect naming the endpoint, closes that stream only, and calls onDisconnect once', async () => {
    const healthy = await RawSseClient.open(`${server.url}/api/plain`);
    await waitUntil(() => recorder.connected.length === 1, 'the healthy connection');
    const failing = await RawSseClient.open(`${server.url}/api/failing`);
    await failing.waitForEnd();
    expect(failing.events.map((e) => e.data)).toEqual(['before the failure']);
    expect(recorder.disconnectsOf('/failing')).toEqual([
      { id: expect.any(String), endpoint: '/failing', reason: 'error' },
    ]);
    expect(logger.messages('error').join('\n')).toMatch(
      /onConnect of SSE endpoint FailingEndpoint \(\/failing\) failed: boom in onConnect/,
    );
    expect(recorder.connected[0].closed).toBe(false);
    expect(recorder.connected[0].trySend('still here')).toBe(true);
    await healthy.waitForEvents(1);
    healthy.close();
    await waitUntil(() => recorder.disconnectsOf('/plain').length === 1, 'the healthy disconnect');
  });

  it('rejects writes after close with SseClosedError, and bad fields with TypeError without touching the stream', async () => {
    const client = await RawSseClient.open(`${server.url}/api/plain`);
    await waitUntil(() => recorder.connected.length === 1, 'the connection');
    const sse = recorder.connected[0];
    expect(() => sse.sendEvent({ event: 'a\nb', data: 'x' })).toThrow(TypeError);
    expect(() => sse.sendEvent({ id: 'a\rb', data: 'x' })).toThrow(TypeError);
    expect(() => sse.sendEvent({ retry: -5 })).toThrow(TypeError);
    expect(sse.trySendEvent({ event: 'a\nb', data: 'x' })).toBe(false);
    await sse.sendEvent({ event: 'ok', data: 'fine' });
    await client.waitForEvents(1);
    expect(client.raw).toBe('retry: 1500\n\nevent: ok\ndata: fine\n\n');

    const aborted = new Promise((resolve) => sse.signal.addEventListener('abort', resolve));
    sse.close();
    await aborted;
    expect(sse.closed).toBe(true);
    await expect(sse.send('late')).rejects.toBeInstanceOf(SseClosedError);
    expect(sse.trySend('late')).toBe(false);
    expect(sse.trySendJson({})).toBe(false);
    await client.waitForEnd();
    expect(recorder.disconnectsOf('/plain')).toEqual([
      { id: sse.id, endpoint: '/plain', reason: 'server' },
    ]);
  });

  it('sends keepalive comments on schedule, per-connection changes included, and stops after close', async () => {
    const client = await RawSseClient.open(`${server.url}/api/ticks`);
    await client.waitFor((c) => c.comments.length >= 3, 2000, 'three keepalives');
    const runtime = server.app.get(SseRuntime);
    expect(runtime.keepaliveScheduler.timerCount).toBe(1);
    const sse = recorder.connected[0];
    sse.keepalive(0);
    await sleep(50);
    const frozen = client.comments.length;
    await sleep(300);
    expect(client.comments.length).toBe(frozen);
    expect(runtime.keepaliveScheduler.timerCount).toBe(0);
    sse.keepalive(0.05);
    await client.waitFor(
      (c) => c.comments.length >= frozen + 2,
      2000,
      'keepalives at the new interval',
    );
    client.close();
    await waitUntil(() => sse.closed, 'close');
    expect(runtime.keepaliveScheduler.timerCount).toBe(0);
    expect(runtime.keepaliveScheduler.size).toBe(0);
  });

  it('shares one keepalive timer among many connections', async () => {
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => RawSseClient.open(`${server.url}/api/ticks`)),
    );
    await Promise.all(
      clients.map((c) => c.waitFor((x) => x.comments.length >= 2, 2000, 'keepalives')),
    );
    const runtime = server.app.get(SseRuntime);
    expect(runtime.keepaliveScheduler.timerCount).toBe(1);
    expect(runtime.keepaliveScheduler.size).toBe(20);
    clients.forEach((c) => c.close());
    await waitUntil(() => runtime.registry.size === 0, 'all closed');
    expect(runtime.keepaliveScheduler.timerCount).toBe(0);
  });

  it('waits for drain under backpressure and rejects the pending write when the client leaves', async () => {
    const port = Number(new URL(server.url).port);
    const socket = connect(port, '127.0.0.1');
    socket.write('GET /api/plain HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause(); // never read: the kernel buffers fill, then Node's
    await waitUntil(() => recorder.connected.length === 1, 'the connection');
    const sse = recorder.connected[0];
    const chunk = 'x'.repeat(64 * 1024);
    let pending: Promise<void> | undefined;
    for (let i = 0; i < 2000 && !pending; i++) {
      const write = sse.send(chunk);
      let settled = false;
      write.then(
        () => (settled = true),
        () => (settled = true),
      );
      await sleep(0);
      if (!settled) pending = write;
    }
    expect(pending).toBeDefined();
    socket.destroy();
    await expect(pending).rejects.toBeInstanceOf(SseClosedError);
    await waitUntil(() => recorder.disconnectsOf('/plain').length === 1, 'onDisconnect');
    expect(recorder.disconnectsOf('/plain')[0].reason).toBe('client');
  });

  it('leaves no connection, timer, listener or handle behind after 1,000 connect/disconnect cycles', async () => {
    const runtime = server.app.get(SseRuntime);
    const handlesBefore = process.getActiveResourcesInfo().length;
    for (let batch = 0; batch < 20; batch++) {
      const clients = await Promise.all(
        Array.from({ length: 50 }, () => RawSseClient.open(`${server.url}/api/ticks`)),
      );
      clients.forEach((c) => c.close());
    }
    await waitUntil(
      () => recorder.disconnectsOf('/ticks').length === 1000,
      '1,000 disconnects',
      15000,
    );
    expect(runtime.registry.size).toBe(0);
    expect(runtime.keepaliveScheduler.timerCount).toBe(0);
    expect(runtime.keepaliveScheduler.size).toBe(0);
    expect(runtime.channels.channelNames()).toEqual([]);
    expect(new Set(recorder.disconnectsOf('/ticks').map((d) => d.id)).size).toBe(1000);
    await waitUntil(
      () => process.getActiveResourcesInfo().length <= handlesBefore,
      'handles to close',
      5000,
    );
  });
});
