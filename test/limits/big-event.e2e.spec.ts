import { randomUUID } from 'node:crypto';
import { BroadcastService, SseMetrics, type SseModuleOptions } from '../../src/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { streamApp } from '../helpers/stream-app.js';

const BIG = 5 * 1024 * 1024;
const bigData = (tag: string) => tag + ':' + 'x'.repeat(BIG - tag.length - 1);

const TRANSPORTS: [string, () => SseModuleOptions['transport']][] = [
  ['memory', () => ({ type: 'memory' })],
  [
    'redis',
    () => ({
      type: 'redis',
      options: { host: '127.0.0.1', port: 6379 },
      channelPrefix: `test:${randomUUID()}:`,
    }),
  ],
];

describe.each(TRANSPORTS)('one 5 MB event on default limits, %s transport', (_name, transport) => {
  let server: TestApp | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('reaches three reading clients whole, and none is closed', async () => {
    const logger = new CapturingLogger();
    server = await startApp(
      streamApp({ transport: transport() }) as never,
      'express',
      undefined,
      logger,
    );
    const broadcast = server.app.get(BroadcastService);
    const clients = await Promise.all(
      [1, 2, 3].map(() => RawSseClient.open(`${server!.url}/stream?channels=files`)),
    );
    await Promise.all(clients.map((c) => c.waitForEvents(1)));
    await broadcast.publish('files', { event: 'file', data: bigData('one') });
    await broadcast.publish('files', { event: 'after', data: 'small' });
    await Promise.all(clients.map((c) => c.waitForEvents(3, 15000)));
    for (const client of clients) {
      expect(client.ended).toBe(false);
      expect(client.events[1].event).toBe('file');
      expect(client.events[1].data.length).toBe(BIG);
      expect(client.events[1].data).toBe(bigData('one'));
      expect(client.events[2]).toMatchObject({ event: 'after', data: 'small' });
    }
    const snapshot = server.app.get(SseMetrics).snapshot();
    expect(snapshot).toMatchObject({ connections: 3, slowConsumerCloses: 0, eventsDropped: 0 });
    expect(logger.messages('warn').filter((m) => /slow consumer/.test(m))).toEqual([]);
    clients.forEach((c) => c.close());
  }, 60_000);

  it('with history, a client that reconnects gets the big event replayed whole', async () => {
    server = await startApp(
      streamApp({ transport: transport(), history: { size: 10 } }) as never,
      'express',
      undefined,
      new CapturingLogger(),
    );
    const broadcast = server.app.get(BroadcastService);
    const first = await RawSseClient.open(`${server.url}/stream?channels=files`);
    await first.waitForEvents(1);
    const before = await broadcast.publish('files', 'small before');
    await broadcast.publish('files', { event: 'file', data: bigData('two') });
    await broadcast.publish('files', 'small after');
    await first.waitForEvents(4, 15000);
    first.close();
    const resumed = await RawSseClient.open(`${server.url}/stream?channels=files`, {
      'last-event-id': before!,
    });
    await resumed.waitForEvents(3, 15000);
    expect(resumed.ended).toBe(false);
    expect(resumed.events[0]).toMatchObject({ event: 'file' });
    expect(resumed.events[0].data).toBe(bigData('two'));
    expect(resumed.events[1].data).toBe('small after');
    expect(resumed.events[2].event).toBe('ready');
    resumed.close();
  }, 60_000);
});
