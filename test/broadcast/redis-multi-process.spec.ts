import { randomUUID } from 'node:crypto';
import { PLATFORMS } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { WorkerProcess } from '../helpers/worker-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKER = '.build/test/fixtures/redis-worker.js';
const USERS = 30;

interface Seq {
  pid: number;
  seq: number;
}

describe.each(PLATFORMS)(
  'BroadcastService across three processes sharing Redis (%s)',
  (platform) => {
    let workers: WorkerProcess[];
    let clients: { user: string; client: RawSseClient }[];

    beforeAll(async () => {
      clients = [];
      // A prefix of our own keeps this run apart from anything else on the shared Redis.
      const env = { REDIS_URL, CHANNEL_PREFIX: `test:${randomUUID()}:`, PLATFORM: platform };
      workers = await Promise.all([0, 1, 2].map(() => WorkerProcess.start(WORKER, env)));
      for (let u = 0; u < USERS; u++) {
        for (const worker of workers) {
          const client = await RawSseClient.open(`${worker.url}/stream?channels=user:${u},all`);
          clients.push({ user: `user:${u}`, client });
        }
      }
      await Promise.all(clients.map(({ client }) => client.waitForEvents(1)));
    });

    afterAll(async () => {
      clients.forEach(({ client }) => client.close());
      await Promise.all(workers.map((w) => w.stop()));
    });

    it('delivers every publish from every process to every client exactly once, in publish order', async () => {
      const before = clients.map(({ client }) => client.events.length);
      await Promise.all(
        workers.map((worker) => worker.post('/publish', { channel: 'all', count: 50 })),
      );
      await Promise.all(
        clients.map(({ client }, i) => client.waitForEvents(before[i] + 150, 10000)),
      );
      await new Promise((resolve) => setTimeout(resolve, 100)); // any duplicate would show up now
      for (const [i, { client }] of clients.entries()) {
        const received = client.events.slice(before[i]).map((e) => JSON.parse(e.data) as Seq);
        expect(received).toHaveLength(150);
        const pids = [...new Set(received.map((e) => e.pid))];
        expect(pids).toHaveLength(3);
        for (const pid of pids) {
          const fromPid = received.filter((e) => e.pid === pid).map((e) => e.seq);
          expect(fromPid).toEqual(Array.from({ length: 50 }, (_, seq) => seq));
        }
      }
    });

    it('never delivers a user channel to another user', async () => {
      const before = clients.map(({ client }) => client.events.length);
      for (let u = 0; u < USERS; u++) {
        const worker = workers[u % workers.length];
        const response = await worker.post('/publish', {
          channel: `user:${u}`,
          event: { event: 'dm', data: `for user:${u}` },
        });
        expect(response.status).toBe(201);
      }
      await Promise.all(clients.map(({ client }, i) => client.waitForEvents(before[i] + 1, 5000)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const [i, { user, client }] of clients.entries()) {
        const received = client.events.slice(before[i]);
        expect(received.map((e) => [e.event, e.data])).toEqual([['dm', `for ${user}`]]);
      }
    });

    it('skips the connections named in `except`, in every process', async () => {
      const target = clients.filter((c) => c.user === 'user:3');
      const excluded = JSON.parse(target[1].client.events[0].data).id as string;
      const before = target.map(({ client }) => client.events.length);
      await workers[0].post('/publish', {
        channel: 'user:3',
        event: 'not for the sender',
        except: [excluded],
      });
      await target[0].client.waitForEvents(before[0] + 1);
      await target[2].client.waitForEvents(before[2] + 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(target[1].client.events.length).toBe(before[1]);
    });

    it('counts local connections per channel', async () => {
      const counts = await Promise.all(
        workers.map((w) => fetch(`${w.url}/count?channel=all`).then((r) => r.json())),
      );
      expect(counts).toEqual([{ count: USERS }, { count: USERS }, { count: USERS }]);
    });

    it('shuts every worker down cleanly on SIGTERM, ending the streams', async () => {
      const signals = await Promise.all(workers.map((w) => w.stop()));
      expect(signals).toEqual(['SIGTERM', 'SIGTERM', 'SIGTERM']);
      await Promise.all(clients.map(({ client }) => client.waitForEnd()));
      for (const worker of workers) expect(worker.output).not.toMatch(/ERROR|unhandled/i);
    });
  },
);
