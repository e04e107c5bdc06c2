import type { Redis } from 'ioredis';
import { SsePublishError } from '../../src/index.js';
import {
  harness,
  received,
  stateWatch,
  steadyPublisher,
  storedNumbers,
  teardown,
  type Harness,
} from '../helpers/hung-redis.js';
import { sleep, waitUntil } from '../helpers/wait.js';

// A Redis that hangs (DEBUG SLEEP, CLIENT PAUSE, SIGSTOP) or refuses writes (OOM) while the
// connections stay open: a publish that rejected is never delivered nor stored when Redis wakes,
// the number waiting is bounded, and `transportState` is 'down' meanwhile (one log line each way).

const HANGS = [
  ['DEBUG SLEEP 3', (admin: Redis) => admin.call('DEBUG', 'SLEEP', '3')],
  ['CLIENT PAUSE 3000', (admin: Redis) => admin.call('CLIENT', 'PAUSE', '3000')],
] as const;

describe.each(HANGS)('a Redis hung by %s', (name, hang) => {
  describe.each([
    ['without history', undefined],
    ['with history', { size: 10_000 }],
  ] as const)('%s', (_label, history) => {
    let h: Harness | undefined;
    afterEach(() => teardown(h));

    it('never delivers nor stores a rejected publish; transportState goes down and up, logged once each', async () => {
      h = await harness({ history });
      const publisher = steadyPublisher(h.broadcast, 20);
      await sleep(500);
      const watch = stateWatch(h.broadcast);
      void hang(h.admin).catch(() => undefined);
      await sleep(3000);
      await waitUntil(() => h!.broadcast.transportState === 'up', 'up again', 5000);
      await sleep(500);
      const { resolved, rejected } = await publisher.stop();
      watch.stop();
      await sleep(300); // the last echoes
      const got = received(h.client);
      console.log(
        `${name}, ${_label}: ${resolved.length} resolved, ${rejected.length} rejected; ` +
          `transportState down ${watch.seen.downAt} ms after the hang began, ` +
          `up ${watch.seen.upAt! - 3000} ms after it ended`,
      );
      expect(rejected.length).toBeGreaterThan(20);
      expect(resolved.length).toBeGreaterThan(20);
      const rejectedSet = new Set(rejected.map((r) => r.n));
      expect(got.filter((n) => rejectedSet.has(n))).toEqual([]);
      expect(got).toEqual([...resolved].sort((a, b) => a - b));
      // With history, the stream holds exactly what was delivered (without, it stays empty).
      const stored = await storedNumbers(h.admin);
      expect(stored.filter((n) => rejectedSet.has(n))).toEqual([]);
      expect(stored).toEqual(history ? got : []);
      for (const { error } of rejected) {
        expect(error).toBeInstanceOf(SsePublishError);
        expect(error.outcome).toBe('not-sent');
      }
      expect(watch.seen.downAt).toBeDefined();
      expect(watch.seen.upAt).toBeDefined();
      expect(h.logger.messages('warn')).toEqual([
        expect.stringMatching(/did not answer a health probe/),
      ]);
      expect(h.logger.messages('log').filter((m) => /up again/.test(m))).toHaveLength(1);
    }, 30_000);
  });
});
