import { Redis } from 'ioredis';
import { parseEventId } from '../../src/broadcast/history/event-id.js';
import { RedisPublishBatch } from '../../src/broadcast/redis/redis-publish-batch.js';
import { historyCounterOf } from '../../src/broadcast/history/history-counter.js';
import { RedisHistory } from '../../src/broadcast/redis/redis-history.js';

/**
 * `replayGap` when the store is behind what the worker saw (a failover that lost writes), per id
 * counter: each counter is compared with the highest `seq` this worker saw of it, never of
 * another counter. On the shared Redis, under a prefix of its own (its keys deleted after).
 */
const PREFIX = `gap-counters-${process.pid}:`;
const COUNTERS = 2;
const unbounded = <T>(operation: Promise<T>) => operation;

/** The first channel name of the form `<stem><i>` whose counter is `counter`. */
function channelOf(counter: number, stem: string): string {
  for (let i = 0; ; i++)
    if (historyCounterOf(`${stem}${i}`, COUNTERS) === counter) return `${stem}${i}`;
}

describe('RedisHistory: the store behind what the worker saw, per counter', () => {
  let client: Redis;
  const history = new RedisHistory(PREFIX, { size: 100 }, COUNTERS);
  const busy = channelOf(0, 'busy-'); // counter 0: many events
  const quiet = channelOf(1, 'quiet-'); // counter 1: few

  beforeAll(() => {
    client = new Redis(6379, '127.0.0.1');
    history.install(client);
  });

  afterAll(async () => {
    const keys = await client.keys(`${PREFIX}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  const batch = new RedisPublishBatch();
  /** One publish through the batch, as the transport sends it; the id is noted as seen. */
  const publish = (channel: string) =>
    new Promise<string>((resolve, reject) =>
      batch.add(
        client,
        history.publishMessage(channel, Buffer.from('data: x\n\n'), undefined, Date.now() + 60_000),
        {
          settled: false,
          writing: () => true,
          answered: (error, result) => {
            if (error) return reject(error);
            history.noteSeen(parseEventId(String(result)));
            resolve(String(result));
          },
        },
      ),
    );

  it('a counter is not behind because another counter is further on', async () => {
    const busyIds: string[] = [];
    for (let i = 0; i < 5; i++) busyIds.push(await publish(busy));
    const quietIds = [await publish(quiet), await publish(quiet)];
    expect(busyIds[4]).toMatch(/^0:\d+-5-/);
    expect(quietIds[1]).toMatch(/^1:\d+-2-/); // seen 5 on counter 0, 2 on counter 1

    const read = await history.read(client, quiet, quietIds[0], unbounded);
    expect(read.events.map((event) => event.id)).toEqual([quietIds[1]]);
    expect(read.gap).toBe(false);
  });

  it('a counter that lost writes the worker saw is a gap for its channels only', async () => {
    const busyIds: string[] = [];
    for (let i = 0; i < 2; i++) busyIds.push(await publish(busy));
    // A failover that lost writes: the counter is back at an earlier seq, in the same epoch.
    await client.hset(`${PREFIX}{history:0}:seq`, 'seq', 3);
    expect((await history.read(client, busy, busyIds[0], unbounded)).gap).toBe(true);

    const quietId = await publish(quiet);
    const read = await history.read(client, quiet, quietId, unbounded);
    expect(read).toEqual({ events: [], gap: false });
  });
});
