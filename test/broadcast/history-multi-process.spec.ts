import { randomUUID } from 'node:crypto';
import { PLATFORMS } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { WorkerProcess } from '../helpers/worker-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKER = '.build/test/fixtures/redis-worker.js';

const payloads = (client: RawSseClient) =>
  client.events.filter((e) => e.event === 'seq').map((e) => e.data);
const readyOf = (client: RawSseClient) =>
  JSON.parse(client.events.find((e) => e.event === 'ready')!.data) as { replayGap: boolean | null };

describe.each(PLATFORMS)('history across worker processes sharing Redis (%s)', (platform) => {
  let a: WorkerProcess;
  let b: WorkerProcess;

  beforeAll(async () => {
    const env = {
      REDIS_URL,
      CHANNEL_PREFIX: `test:${randomUUID()}:`,
      HISTORY_SIZE: '1000',
      PLATFORM: platform,
    };
    [a, b] = await Promise.all([
      WorkerProcess.start(WORKER, env),
      WorkerProcess.start(WORKER, env),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  it('resumes on process B what was missed after a stream served by process A', async () => {
    const first = await RawSseClient.open(`${a.url}/stream?channels=feed`);
    await first.waitForEvents(1);
    await a.post('/publish', { channel: 'feed', count: 30, label: 'e' });
    await first.waitForEvents(31);
    const lastId = first.events[first.events.length - 1].id!;
    first.close();
    await a.post('/publish', { channel: 'feed', count: 30, label: 'f' });
    const second = await RawSseClient.open(`${b.url}/stream?channels=feed`, {
      'Last-Event-ID': lastId,
    });
    await second.waitForEvents(31);
    await b.post('/publish', { channel: 'feed', count: 5, label: 'g' });
    await second.waitForEvents(36);
    expect(readyOf(second).replayGap).toBe(false);
    const seen = [...payloads(first), ...payloads(second)];
    const expected = ['e', 'f', 'g'].flatMap((label) =>
      Array.from({ length: label === 'g' ? 5 : 30 }, (_, i) => `${label}${i}`),
    );
    expect(seen).toEqual(expected);
    second.close();
  });

  it('resumes two channels fed by two processes, each exactly once and in order', async () => {
    const first = await RawSseClient.open(`${a.url}/stream?channels=left,right`);
    await first.waitForEvents(1);
    for (let round = 0; round < 10; round++) {
      await a.post('/publish', { channel: 'left', event: { event: 'seq', data: `L${round}` } });
      await b.post('/publish', { channel: 'right', event: { event: 'seq', data: `R${round}` } });
    }
    await first.waitForEvents(21);
    const lastId = first.events[first.events.length - 1].id!;
    first.close();
    for (let round = 10; round < 20; round++) {
      await b.post('/publish', { channel: 'left', event: { event: 'seq', data: `L${round}` } });
      await a.post('/publish', { channel: 'right', event: { event: 'seq', data: `R${round}` } });
    }
    const second = await RawSseClient.open(`${b.url}/stream?channels=left,right`, {
      'Last-Event-ID': lastId,
    });
    await second.waitForEvents(21);
    expect(readyOf(second).replayGap).toBe(false);
    const seen = [...payloads(first), ...payloads(second)];
    expect(seen.filter((d) => d.startsWith('L'))).toEqual(
      Array.from({ length: 20 }, (_, i) => `L${i}`),
    );
    expect(seen.filter((d) => d.startsWith('R'))).toEqual(
      Array.from({ length: 20 }, (_, i) => `R${i}`),
    );
    second.close();
  });
});
