import { CountingClient } from '../helpers/counting-client.js';
import { waitUntil } from '../helpers/wait.js';
import { WorkerProcess } from '../helpers/worker-process.js';

const APP = '.build/test/fixtures/limits-app.js';
const EVENT_BYTES = 64 * 1024;
const TOTAL_BYTES = 50 * 1024 * 1024;
const EVENTS = TOTAL_BYTES / EVENT_BYTES; // 800
const BATCH = 2; // 128 KiB, then wait for the healthy readers (pacing: see the traps in README)
const STALLED = 1000;
const HEALTHY = 100;
const MAX_BUFFERED = 64 * 1024;

interface Stats {
  rss: number;
  snapshot: { connections: number; slowConsumerCloses: number; eventsDropped: number };
  disconnects: Record<string, number>;
}

describe.each(['close', 'drop'] as const)('slow consumers with slowConsumer: %s', (policy) => {
  let app: WorkerProcess;
  afterAll(() => app?.stop());

  it(`bounds memory while ${STALLED} clients never read and ${HEALTHY} receive 50 MB in order`, async () => {
    app = await WorkerProcess.start(
      APP,
      { SLOW_CONSUMER: policy, MAX_BUFFERED_BYTES: String(MAX_BUFFERED) },
      ['--expose-gc'],
    );
    const before = await app.json<Stats>('/stats');
    const stalled = Array.from(
      { length: STALLED },
      () => new CountingClient(app.port, '/stream', true),
    );
    const healthy = Array.from({ length: HEALTHY }, () => new CountingClient(app.port, '/stream'));
    for (let i = 0; i < 100; i++) {
      if ((await app.json<Stats>('/stats')).snapshot.connections === STALLED + HEALTHY) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    let peakRss = 0;
    for (let from = 0; from < EVENTS; from += BATCH) {
      await app.post('/burst', { from, count: BATCH, size: EVENT_BYTES });
      await waitUntil(
        () => healthy.every((c) => c.received >= from + BATCH),
        `batch ${from}`,
        30000,
      );
      if (from % (BATCH * 10) === 0)
        peakRss = Math.max(peakRss, (await app.json<Stats>('/stats')).rss);
    }
    const after = await app.json<Stats>('/stats');
    peakRss = Math.max(peakRss, after.rss);

    for (const client of healthy) {
      expect(client.received).toBe(EVENTS);
      expect(client.outOfOrder).toBe(0);
    }
    const growthMiB = (peakRss - before.rss) / 2 ** 20;
    const boundMiB = (STALLED * MAX_BUFFERED) / 2 ** 20 + 100;
    console.log(
      `slowConsumer ${policy}: RSS ${(before.rss / 2 ** 20).toFixed(0)} → peak ${(peakRss / 2 ** 20).toFixed(0)} MiB ` +
        `(growth ${growthMiB.toFixed(0)} MiB, bound ${boundMiB.toFixed(0)} MiB); ${JSON.stringify(after.snapshot)}`,
    );
    expect(growthMiB).toBeLessThan(boundMiB);
    const closing = policy === 'close';
    expect(after.snapshot).toMatchObject({
      slowConsumerCloses: closing ? STALLED : 0,
      connections: closing ? HEALTHY : STALLED + HEALTHY,
    });
    expect(after.disconnects['slow-consumer'] ?? 0).toBe(closing ? STALLED : 0);
    expect(after.snapshot.eventsDropped > 0).toBe(!closing);
    [...stalled, ...healthy].forEach((c) => c.close());
  }, 180_000);
});
