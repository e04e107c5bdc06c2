import { CountingClient } from '../helpers/counting-client.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { sleep, waitUntil } from '../helpers/wait.js';
import { WorkerProcess } from '../helpers/worker-process.js';

const APP = '.build/test/fixtures/limits-app.js';

interface Stats {
  heapUsed: number;
  snapshot: { connections: number; byEndpoint: Record<string, number> };
  channels: string[];
  handles: string[];
  disconnects: Record<string, number>;
}

const count = (handles: string[]) =>
  handles.reduce<Record<string, number>>((acc, h) => ((acc[h] = (acc[h] ?? 0) + 1), acc), {});

describe('a connection storm', () => {
  let app: WorkerProcess;
  afterAll(() => app?.stop());

  it('5,000 connections opened and closed in random order over 10 s leave nothing behind', async () => {
    app = await WorkerProcess.start(APP, { MAX_BUFFERED_BYTES: String(1 << 20) }, ['--expose-gc']);
    // Warm up (JIT, lazily built caches), then take the baseline.
    const warm = Array.from(
      { length: 200 },
      (_, i) => new CountingClient(app.port, i % 2 ? '/stream' : '/other'),
    );
    await sleep(300);
    warm.forEach((c) => c.close());
    await waitUntil(() => warm.every((c) => c.ended), 'warm-up clients to close');
    await sleep(300);
    const before = await app.json<Stats>('/stats');

    const TOTAL = 5000;
    // Each connection stays open for a random 0–3 s, so they close in random order.
    const open: { client: CountingClient; closeAt: number }[] = [];
    let opened = 0;
    let peak = 0;
    const started = Date.now();
    while (opened < TOTAL || open.length > 0) {
      const now = Date.now();
      const due = Math.min(TOTAL, Math.ceil(((now - started) / 8000) * TOTAL));
      while (opened < due) {
        const path = Math.random() < 0.5 ? '/stream' : '/other';
        open.push({
          client: new CountingClient(app.port, path),
          closeAt: now + Math.random() * 3000,
        });
        opened++;
      }
      peak = Math.max(peak, open.length);
      for (let i = open.length - 1; i >= 0; i--) {
        if (open[i].closeAt <= now) open.splice(i, 1)[0].client.close();
      }
      await sleep(20);
    }
    expect(Date.now() - started).toBeGreaterThan(8000);

    let after = await app.json<Stats>('/stats');
    for (let i = 0; i < 100 && after.snapshot.connections > 0; i++) {
      await sleep(50);
      after = await app.json<Stats>('/stats');
    }
    console.log(
      `storm: ${TOTAL} connections, peak ${peak} open; heap ${(before.heapUsed / 2 ** 20).toFixed(1)} → ` +
        `${(after.heapUsed / 2 ** 20).toFixed(1)} MiB; handles ${JSON.stringify(count(after.handles))}`,
    );
    expect(after.snapshot.connections).toBe(0);
    expect(after.snapshot.byEndpoint).toEqual({});
    expect(after.channels).toEqual([]);
    // Every stream that opened was closed by its client (one closed before its request was read
    // never opened a stream, so it has no onDisconnect).
    expect(Object.keys(after.disconnects)).toEqual(['client']);
    expect(after.disconnects.client - before.disconnects.client).toBeGreaterThan(TOTAL * 0.9);
    for (let i = 0; i < 50; i++) {
      if (after.handles.length <= before.handles.length) break;
      await sleep(100);
      after = await app.json<Stats>('/stats');
    }
    expect(count(after.handles)).toEqual(count(before.handles));
    expect(after.heapUsed).toBeLessThan(before.heapUsed * 1.1);
  }, 90_000);
});

describe('shutdown during a broadcast', () => {
  it('ends every stream, calls each hook once, and the process exits by itself', async () => {
    const app = await WorkerProcess.start(APP, {}, []);
    const clients = Array.from({ length: 1000 }, () => new CountingClient(app.port, '/stream'));
    const watcher = await RawSseClient.open(`${app.url}/stream`);
    for (let i = 0; i < 100; i++) {
      const stats = await app.json<Stats>('/stats');
      if (stats.snapshot.connections === 1001) break;
      await sleep(50);
    }
    const broadcasting = (async () => {
      for (let from = 0; from < 100_000; from += 20) {
        const response = await app
          .post('/burst', { from, count: 20, size: 1000 })
          .catch(() => null);
        if (!response || !response.ok) return;
      }
    })();
    await sleep(200);
    await app.post('/close', {});
    const exit = await app.exited(10_000);
    await broadcasting;
    expect(exit).toBe(0);
    await waitUntil(() => clients.every((c) => c.ended), 'every stream to end', 10_000);
    await watcher.waitForEnd();
    expect(watcher.events[watcher.events.length - 1]).toMatchObject({
      event: 'shutdown',
      data: 'bye',
    });
    const closed = /CLOSED (\{.*\})/.exec(app.output);
    expect(closed).not.toBeNull();
    expect(JSON.parse(closed![1])).toEqual({ shutdown: 1001 });
    expect(app.output).not.toMatch(/ERROR|unhandled/i);
  }, 60_000);
});
