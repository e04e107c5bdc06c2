import { connect } from 'node:net';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { PLATFORMS } from '../helpers/platforms.js';
import { useRobustApp } from '../helpers/use-robust-app.js';

describe.each(PLATFORMS)('fuzzed requests on %s', (platform) => {
  const app = useRobustApp(platform);

  it('survives 2,000 fuzzed requests: no 5xx, no crash, no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const port = Number(new URL(app.server.url).port);
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
    const after = await RawSseClient.open(`${app.server.url}/plain`, { 'Last-Event-ID': 'ok' });
    await after.waitForEvents(1);
    expect(after.events[0].data).toBe('last=ok');
    after.close();
  });
});
