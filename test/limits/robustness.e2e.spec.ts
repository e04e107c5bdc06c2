import { Injectable, Module } from '@nestjs/common';
import { connect } from 'node:net';
import { register } from 'prom-client';
import {
  SseEndpoint,
  SseHealthIndicator,
  SseMetrics,
  SseModule,
  type OnSseConnect,
  type OnSseDisconnect,
  type SseConnection,
  type SseDisconnectReason,
} from '../../src/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { sleep, waitUntil } from '../helpers/wait.js';

@Injectable()
class Hooks {
  readonly disconnects: { endpoint: string; reason: SseDisconnectReason }[] = [];
  readonly connects: string[] = [];
  releaseHang: () => void = () => undefined;
  of(endpoint: string) {
    return this.disconnects.filter((d) => d.endpoint === endpoint);
  }
}

abstract class Recorded implements OnSseDisconnect {
  constructor(protected readonly hooks: Hooks) {}
  onDisconnect(sse: SseConnection, reason: SseDisconnectReason): void {
    this.hooks.disconnects.push({ endpoint: sse.endpoint, reason });
  }
}

@SseEndpoint('/limited', { maxConnections: 2 })
class Limited extends Recorded {
  constructor(hooks: Hooks) {
    super(hooks);
  }
}

@SseEndpoint('/per-user', {
  maxConnectionsPerKey: 1,
  connectionKey: (request) =>
    typeof request.query.user === 'string' ? request.query.user : undefined,
})
class PerUser extends Recorded {
  constructor(hooks: Hooks) {
    super(hooks);
  }
}

@SseEndpoint('/rejecting')
class Rejecting extends Recorded implements OnSseConnect {
  constructor(hooks: Hooks) {
    super(hooks);
  }
  onConnect(): Promise<void> {
    return Promise.reject(new Error('rejected in onConnect'));
  }
}

@SseEndpoint('/hanging')
class Hanging extends Recorded implements OnSseConnect {
  constructor(hooks: Hooks) {
    super(hooks);
  }
  async onConnect(sse: SseConnection): Promise<void> {
    this.hooks.connects.push(sse.id);
    await new Promise<void>((resolve) => (this.hooks.releaseHang = resolve));
    await sse.send('after the hang'); // the client has left: this rejects, quietly
  }
}

@SseEndpoint('/bad-disconnect')
class BadDisconnect implements OnSseDisconnect {
  constructor(private readonly hooks: Hooks) {}
  onDisconnect(sse: SseConnection, reason: SseDisconnectReason): void {
    this.hooks.disconnects.push({ endpoint: sse.endpoint, reason });
    throw new Error('thrown in onDisconnect');
  }
}

@SseEndpoint('/short', { maxLifetime: 1, retry: 250 })
class Short extends Recorded {
  constructor(hooks: Hooks) {
    super(hooks);
  }
}

@SseEndpoint('/plain')
class Plain extends Recorded implements OnSseConnect {
  constructor(hooks: Hooks) {
    super(hooks);
  }
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.send(`last=${sse.lastEventId ?? ''}`);
  }
}

@SseEndpoint('/slow-authorize', { maxConnections: 1 })
class SlowAuthorize extends Recorded {
  constructor(hooks: Hooks) {
    super(hooks);
  }
  async authorize(): Promise<boolean> {
    await sleep(150);
    return true;
  }
}

@Module({
  imports: [SseModule.forRoot({ metrics: { prometheus: true } })],
  providers: [
    Hooks,
    Limited,
    PerUser,
    Rejecting,
    Hanging,
    BadDisconnect,
    Short,
    Plain,
    SlowAuthorize,
  ],
})
class RobustModule {}

describe.each(PLATFORMS)('robustness on %s', (platform) => {
  let server: TestApp;
  let hooks: Hooks;
  let logger: CapturingLogger;
  let metrics: SseMetrics;

  beforeEach(async () => {
    logger = new CapturingLogger();
    server = await startApp(RobustModule, platform, undefined, logger);
    hooks = server.app.get(Hooks);
    metrics = server.app.get(SseMetrics);
  });
  afterEach(() => server.close());

  it('answers 503 with Retry-After over maxConnections, and frees the slot when a client leaves', async () => {
    const first = await RawSseClient.open(`${server.url}/limited`);
    const second = await RawSseClient.open(`${server.url}/limited`);
    const third = await RawSseClient.open(`${server.url}/limited`);
    await third.waitForEnd();
    expect([first.status, second.status, third.status]).toEqual([200, 200, 503]);
    expect(third.headers['retry-after']).toBe('5');
    expect(metrics.snapshot().rejected).toBe(1);
    first.close();
    await waitUntil(() => hooks.of('/limited').length === 1, 'the slot to free');
    const fourth = await RawSseClient.open(`${server.url}/limited`);
    expect(fourth.status).toBe(200);
    expect(metrics.snapshot().byEndpoint['/limited']).toBe(2);
    second.close();
    fourth.close();
  });

  it('answers 429 over maxConnectionsPerKey, per key, with the count right after a client leaves', async () => {
    const ada = await RawSseClient.open(`${server.url}/per-user?user=ada`);
    const again = await RawSseClient.open(`${server.url}/per-user?user=ada`);
    await again.waitForEnd();
    const bob = await RawSseClient.open(`${server.url}/per-user?user=bob`);
    const anonymous = [1, 2].map(() => RawSseClient.open(`${server.url}/per-user`));
    expect([ada.status, again.status, bob.status]).toEqual([200, 429, 200]);
    expect((await Promise.all(anonymous)).map((c) => c.status)).toEqual([200, 200]);
    ada.close();
    await waitUntil(() => hooks.of('/per-user').length === 1, 'ada to leave');
    const adaAgain = await RawSseClient.open(`${server.url}/per-user?user=ada`);
    expect(adaAgain.status).toBe(200);
    [bob, adaAgain, ...(await Promise.all(anonymous))].forEach((c) => c.close());
  });

  it('logs hooks that reject, hang or throw, calls onDisconnect once each, and keeps other streams up', async () => {
    const bystander = await RawSseClient.open(`${server.url}/plain`);
    await bystander.waitForEvents(1);

    const rejecting = await RawSseClient.open(`${server.url}/rejecting`);
    await rejecting.waitForEnd();
    expect(hooks.of('/rejecting')).toEqual([{ endpoint: '/rejecting', reason: 'error' }]);

    const hanging = await RawSseClient.open(`${server.url}/hanging`);
    await waitUntil(() => hooks.connects.length === 1, 'onConnect to start');
    hanging.close();
    await waitUntil(() => hooks.of('/hanging').length === 1, 'onDisconnect while onConnect hangs');
    hooks.releaseHang();
    await sleep(50);
    expect(hooks.of('/hanging')).toEqual([{ endpoint: '/hanging', reason: 'client' }]);

    const bad = await RawSseClient.open(`${server.url}/bad-disconnect`);
    await waitUntil(() => metrics.snapshot().byEndpoint['/bad-disconnect'] === 1, 'the stream');
    bad.close();
    await waitUntil(() => hooks.of('/bad-disconnect').length === 1, 'onDisconnect');
    await sleep(50);
    expect(hooks.of('/bad-disconnect')).toHaveLength(1);

    const errors = logger.messages('error').join('\n');
    expect(errors).toMatch(
      /onConnect of SSE endpoint Rejecting \(\/rejecting\) failed: rejected in onConnect/,
    );
    expect(errors).toMatch(
      /onDisconnect of SSE endpoint BadDisconnect \(\/bad-disconnect\) failed: thrown in onDisconnect/,
    );
    expect(errors).not.toMatch(/Hanging/);
    expect(bystander.ended).toBe(false);
    await server.app.get(SseMetrics); // still resolvable
    expect(metrics.snapshot().byEndpoint['/plain']).toBe(1);
    bystander.close();
  });

  it('ends a stream at maxLifetime (±10 %) with a retry hint, reason lifetime', async () => {
    const client = await RawSseClient.open(`${server.url}/short`);
    const opened = Date.now();
    await client.waitForEnd(4000);
    const lived = Date.now() - opened;
    expect(lived).toBeGreaterThan(850);
    expect(lived).toBeLessThan(2600); // 1 s ±10 %, checked by a one-second shared timer
    expect(client.raw).toBe('retry: 250\n\nretry: 250\n\n');
    expect(hooks.of('/short')).toEqual([{ endpoint: '/short', reason: 'lifetime' }]);
  });

  it('survives 2,000 fuzzed requests: no 5xx, no crash, no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const port = Number(new URL(server.url).port);
    const pieces = [
      '/plain',
      '/limited',
      '/rooms/%ZZ',
      '/plain?x=%',
      '/plain?a[b]=1&a=2',
      '/%2e%2e/plain',
      '/☃',
      '/'.repeat(300),
    ];
    const ids = [
      '',
      '12-3',
      'plain text',
      '\u0000\u0001',
      'x'.repeat(5000),
      '☃😀',
      'a\rb',
      'a\nb',
      '99999999999999999999-0',
      '1-1',
      Buffer.from([0xff, 0xfe, 0x80]).toString('latin1'),
    ];
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const statuses = new Map<number, number>();
    const one = (i: number) =>
      new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let head = '';
        socket.on('data', (chunk) => {
          head += chunk.toString('latin1');
          const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
          if (status) {
            statuses.set(Number(status[1]), (statuses.get(Number(status[1])) ?? 0) + 1);
            socket.destroy();
          }
        });
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
        const path =
          pieces[random(pieces.length)] + (i % 3 ? `${random(2) ? '?' : '&'}q=${random(1e6)}` : '');
        const id = ids[random(ids.length)];
        socket.write(
          Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nLast-Event-ID: ${id}\r\n\r\n`, 'latin1'),
        );
        setTimeout(() => socket.destroy(), 2000);
      });
    for (let batch = 0; batch < 20; batch++)
      await Promise.all(Array.from({ length: 100 }, (_, i) => one(batch * 100 + i)));
    process.off('unhandledRejection', onUnhandled);
    console.log(`fuzz (${platform}): statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect([...statuses.keys()].filter((status) => status >= 500 && status !== 503)).toEqual([]);
    expect(unhandled).toEqual([]);
    const after = await RawSseClient.open(`${server.url}/plain`, { 'Last-Event-ID': 'ok' });
    await after.waitForEvents(1);
    expect(after.events[0].data).toBe('last=ok');
    after.close();
  });

  it('reports metrics, a health result, and Prometheus figures', async () => {
    const client = await RawSseClient.open(`${server.url}/plain`);
    await client.waitForEvents(1);
    const snapshot = metrics.snapshot();
    expect(snapshot).toMatchObject({
      connections: 1,
      byEndpoint: { '/plain': 1 },
      transport: 'up',
      eventsDropped: 0,
    });
    expect(snapshot.eventsSent).toBeGreaterThan(0);
    expect(snapshot.bytesWritten).toBeGreaterThan(0);
    expect(await server.app.get(SseHealthIndicator).isHealthy('sse')).toEqual({
      sse: { status: 'up', transport: 'up', connections: 1 },
    });
    const text = await register.metrics();
    expect(text).toMatch(/^sse_connections 1$/m);
    expect(text).toMatch(/^sse_endpoint_connections\{endpoint="\/plain"\} 1$/m);
    expect(text).toMatch(/^sse_events_sent_total \d+$/m);
    expect(text).toMatch(/^sse_transport_up 1$/m);
    client.close();
  });

  it('frees everything when the client leaves while an async authorize runs', async () => {
    const port = Number(new URL(server.url).port);
    const socket = connect(port, '127.0.0.1');
    socket.write('GET /slow-authorize HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(20);
    socket.destroy(); // gone before authorize resolves
    await sleep(300);
    expect(metrics.snapshot().byEndpoint['/slow-authorize']).toBeUndefined();
    const next = await RawSseClient.open(`${server.url}/slow-authorize`);
    expect(next.status).toBe(200); // the slot (maxConnections: 1) was released
    next.close();
    await waitUntil(() => metrics.snapshot().connections === 0, 'all closed');
  });
});
