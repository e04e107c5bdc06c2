import { randomUUID } from 'node:crypto';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { sleep } from '../helpers/wait.js';
import { WorkerProcess } from '../helpers/worker-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKER = '.build/test/fixtures/redis-worker.js';
/** The default presence `ttl`: a worker that stops without closing drops out within it. */
const DROP_OUT_MS = 5000;

/** Clients per worker: `room:1` and `room:2` members. */
const SPREAD = [
  { 'room:1': 5, 'room:2': 0 },
  { 'room:1': 3, 'room:2': 2 },
  { 'room:1': 4, 'room:2': 1 },
];

async function globalCount(worker: WorkerProcess, channel?: string): Promise<number> {
  const query = channel === undefined ? '' : `?channel=${encodeURIComponent(channel)}`;
  return (await worker.json<{ count: number }>(`/global-count${query}`)).count;
}

/** Polls `globalCount` on `worker` until it is `expected`; resolves with the ms it took. */
async function countReaches(
  worker: WorkerProcess,
  channel: string | undefined,
  expected: number,
  timeoutMs: number,
): Promise<number> {
  const start = Date.now();
  let last = -1;
  while (Date.now() - start < timeoutMs) {
    last = await globalCount(worker, channel);
    if (last === expected) return Date.now() - start;
    await sleep(50);
  }
  throw new Error(`globalCount(${String(channel)}) stayed ${last}, expected ${expected}`);
}

describe('globalCount across three processes sharing Redis', () => {
  let workers: WorkerProcess[];
  const clients: RawSseClient[] = [];

  beforeAll(async () => {
    const env = { REDIS_URL, CHANNEL_PREFIX: `test:${randomUUID()}:` };
    workers = await Promise.all(SPREAD.map(() => WorkerProcess.start(WORKER, env)));
    for (const [w, spread] of SPREAD.entries()) {
      for (const [channel, count] of Object.entries(spread)) {
        for (let i = 0; i < count; i++)
          clients.push(await RawSseClient.open(`${workers[w].url}/stream?channels=${channel}`));
      }
    }
    await Promise.all(clients.map((client) => client.waitForEvents(1)));
  });

  afterAll(async () => {
    clients.forEach((client) => client.close());
    await Promise.all(workers.map((worker) => worker.stop()));
  });

  it('equals the sum of every worker, asked on any worker', async () => {
    for (const worker of workers) {
      await countReaches(worker, 'room:1', 12, 3000);
      expect(await globalCount(worker, 'room:2')).toBe(3);
      expect(await globalCount(worker, '/stream')).toBe(15);
      expect(await globalCount(worker)).toBe(15);
      expect(await globalCount(worker, 'nobody')).toBe(0);
    }
  });

  it(`drops a SIGKILLed worker's clients within ${DROP_OUT_MS} ms`, async () => {
    await workers[2].kill();
    const tookMs = await countReaches(workers[0], 'room:1', 8, DROP_OUT_MS + 1000);
    process.stdout.write(`globalCount: a SIGKILLed worker dropped out after ${tookMs} ms\n`);
    expect(tookMs).toBeLessThanOrEqual(DROP_OUT_MS + 250);
    expect(await globalCount(workers[0], 'room:2')).toBe(2);
    expect(await globalCount(workers[1])).toBe(10);
  });
});
