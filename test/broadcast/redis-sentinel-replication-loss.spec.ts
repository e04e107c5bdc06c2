import { CapturingLogger } from '../helpers/capturing-logger.js';
import {
  FailoverWorker,
  ResumingClient,
  deliveryViolations,
  seededRandom,
  type Publish,
} from '../helpers/failover-worker.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { SentinelTopology, ask } from '../helpers/redis-sentinel.js';
import { sleep } from '../helpers/wait.js';

const epochOf = (id: string) => id.split('-')[2];

/** The `replayGap` of a stream resumed from `lastEventId`, retried until a worker serves it. */
async function resumeOnce(worker: FailoverWorker, lastEventId: string): Promise<boolean> {
  for (;;) {
    const client = await RawSseClient.open(`${worker.server.url}/stream?channels=feed`, {
      'Last-Event-ID': lastEventId,
    });
    try {
      await client.waitFor((c) => c.ended || c.events.some((e) => e.event === 'ready'), 3000);
      const ready = client.events.find((e) => e.event === 'ready');
      if (ready) return (JSON.parse(ready.data) as { replayGap: boolean }).replayGap;
    } catch {
      // not ready in time: Redis still switching
    } finally {
      client.close();
    }
    await sleep(100);
  }
}

/**
 * Asynchronous replication loss: the replica is cut off from the primary, publishes are stored on
 * the primary only, then the primary is killed and Sentinel promotes the lagging replica. Two
 * workers publish throughout, with live clients (`liveGap: 'close'`) and clients that drop and
 * resume at random points on either worker.
 */
describe('Redis Sentinel: a failover that lost writes', () => {
  // REPEAT=5 runs it five times in a row (how the README's figures were measured).
  const runs = Array.from({ length: Number(process.env.REPEAT ?? 1) }, (_, i) => i + 1);
  it.each(runs)(
    'no duplicate, every missed event delivered or reported by replayGap, live delivery resumes in a new epoch, no id issued twice (run %i)',
    async () => {
      const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 1e9));
      const random = seededRandom(seed);
      const topology = await SentinelTopology.start();
      const logger = new CapturingLogger();
      const workers: FailoverWorker[] = [];
      const clients: ResumingClient[] = [];
      try {
        for (const w of [1, 2])
          workers.push(await FailoverWorker.start(w, topology, logger, { liveGap: 'close' }));
        workers.forEach((worker) => worker.startPublishing());
        const live = workers.map(
          (worker) => new ResumingClient(`live ${worker.w}`, [worker], random, false),
        );
        const resuming = [1, 2, 3, 4, 5, 6].map(
          (i) => new ResumingClient(`resuming ${i}`, workers, random),
        );
        clients.push(...live, ...resuming);
        await Promise.all(clients.map((client) => client.start()));
        await sleep(800);

        // An id the promoted replica will still hold: resuming from it must report the lost ones.
        const storedBeforeCut = live[0].lastId!;
        await topology.cutReplicaOff();
        const cutAt = Date.now();
        await sleep(600); // about 12 publishes per worker, stored on the primary only
        const faultAt = Date.now();
        await topology.kill(topology.primary);
        await topology.waitForPromotion(topology.replica);
        const promotedAt = Date.now();
        const resumedAfterPromotion = resumeOnce(workers[0], storedBeforeCut);

        // Live delivery is back when both live clients received, from each worker, a tick
        // published after the promotion.
        const after = (time: number) => (w: number, n: number) =>
          workers[w - 1].publishes[n].startedAt > time;
        const liveBack = await Promise.all(
          live.map(async (client) => {
            await client.waitFor(
              (received) =>
                workers.every((worker) =>
                  received.some((t) => t.w === worker.w && after(promotedAt)(t.w, t.n)),
                ),
              15_000,
              'ticks from both workers after the promotion',
            );
            return Date.now() - faultAt;
          }),
        );
        await sleep(1500);
        await Promise.all(clients.map((client) => client.stop()));
        await Promise.all(workers.map((worker) => worker.stopPublishing()));
        const lasts = workers.map((worker) => worker.resolved[worker.resolved.length - 1]);
        for (const client of clients)
          await client.waitFor(
            (received) =>
              lasts.every((last, i) => received.some((t) => t.w === i + 1 && t.n === last.n)),
            5000,
            "both workers' last ticks",
          );

        const problems = clients.flatMap((client) => deliveryViolations(client, workers));
        expect({ seed, problems }).toEqual({ seed, problems: [] });

        // Writes were lost: ids resolved between the cut and the kill are not on the new primary.
        const resolved: Publish[] = workers.flatMap((worker) => worker.resolved);
        const stored = (await ask(
          topology.replica.port,
          'XRANGE',
          'sse:{history}:stream:feed',
          '-',
          '+',
        )) as [string, string[]][];
        const storedIds = new Set(stored.map(([streamId]) => streamId));
        const lost = resolved.filter(
          (p) =>
            p.settledAt! > cutAt &&
            p.settledAt! < faultAt &&
            !storedIds.has(p.id!.split('-').slice(0, 2).join('-')),
        );
        expect(lost.length).toBeGreaterThan(0);
        // No id issued twice; the ids after the switch are of a new epoch.
        const ids = resolved.map((p) => p.id!);
        expect(new Set(ids).size).toBe(ids.length);
        const before = new Set(
          resolved.filter((p) => p.settledAt! < faultAt).map((p) => epochOf(p.id!)),
        );
        const afterSwitch = new Set(
          resolved
            .filter((p) => p.startedAt > faultAt + Math.max(...liveBack))
            .map((p) => epochOf(p.id!)),
        );
        expect(before.size).toBe(1);
        expect(afterSwitch.size).toBe(1);
        expect([...afterSwitch][0]).not.toBe([...before][0]);
        // Resumed right after the promotion from an id the new primary holds: told, not silent.
        expect(await resumedAfterPromotion).toBe(true);
        // The live clients were told (their streams closed, their resumes said replayGap).
        const told = live.map((client) => client.connections.some((c) => c.replayGap));
        expect(told.every(Boolean)).toBe(true);

        const publishesBack = workers.map((worker) => worker.publishesBackAt()! - faultAt);
        console.log(
          `replication loss (seed ${seed}): ${lost.length} resolved publishes lost; promoted after ` +
            `${promotedAt - faultAt} ms; publishes succeed again after ${publishesBack.join(' / ')} ms; ` +
            `live streams receive again after ${liveBack.join(' / ')} ms; resumes ` +
            `${clients.reduce((sum, c) => sum + c.connections.length, 0)}, with replayGap ` +
            `${clients.reduce((sum, c) => sum + c.connections.filter((x) => x.replayGap).length, 0)}`,
        );
      } finally {
        clients.forEach((client) => client.close());
        await Promise.all(workers.map((worker) => worker.close()));
        await topology.stop();
      }
    },
    90_000,
  );
});
