import { randomUUID } from 'node:crypto';
import { createBroadcaster, SsePublishError } from '../../src/index.js';

describe('maxPendingPublishes on a healthy Redis', () => {
  it('bounds one tick’s burst too: past the bound a publish rejects at once, not sent; the others resolve', async () => {
    const broadcaster = await createBroadcaster({
      transport: {
        type: 'redis',
        url: 'redis://127.0.0.1:6379',
        channelPrefix: `test:${randomUUID()}:`,
        maxPendingPublishes: 100,
      },
      logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
    });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 150 }, (_, i) => broadcaster.broadcast.publish('burst', String(i))),
      );
      const rejected = outcomes.filter((o) => o.status === 'rejected');
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(100);
      expect(rejected).toHaveLength(50);
      for (const { reason } of rejected as PromiseRejectedResult[]) {
        expect(reason).toBeInstanceOf(SsePublishError);
        expect((reason as SsePublishError).outcome).toBe('not-sent');
        expect((reason as Error).message).toMatch(/maxPendingPublishes/);
      }
    } finally {
      await broadcaster.close();
    }
  });
});
