import { Redis } from 'ioredis';
import { BroadcastService, SsePublishError, type SseModuleOptions } from '../../src/index.js';
import { CapturingLogger } from './capturing-logger.js';
import { startApp, type TestApp } from './platforms.js';
import { RawSseClient } from './raw-sse-client.js';
import { OwnRedisServer } from './redis-server.js';
import { streamApp } from './stream-app.js';
import { waitUntil } from './wait.js';

// An app on a Redis server of its own, with a live SSE client on one channel, for tests where
// Redis hangs or refuses writes; and what those tests record.

export const PREFIX = 'hung:';
export const CHANNEL = 'news';
export const PUBLISH_TIMEOUT = 800;

export interface Harness {
  redis: OwnRedisServer;
  admin: Redis;
  server: TestApp;
  broadcast: BroadcastService;
  client: RawSseClient;
  logger: CapturingLogger;
}

export async function harness(
  options: Partial<SseModuleOptions> & { maxPendingPublishes?: number },
  redisArgs: string[] = [],
): Promise<Harness> {
  const redis = await OwnRedisServer.start(['--enable-debug-command', 'yes', ...redisArgs]);
  const admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  const logger = new CapturingLogger();
  const { maxPendingPublishes, ...rest } = options;
  const server = await startApp(
    streamApp({
      transport: { type: 'redis', url: redis.url, channelPrefix: PREFIX, maxPendingPublishes },
      publishTimeout: PUBLISH_TIMEOUT,
      ...rest,
    }) as never,
    'express',
    undefined,
    logger,
  );
  const broadcast = server.app.get(BroadcastService);
  const client = await RawSseClient.open(`${server.url}/stream?channels=${CHANNEL}`);
  await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
  await waitUntil(() => broadcast.transportState === 'up', 'the transport to be up');
  return { redis, admin, server, broadcast, client, logger };
}

export async function teardown(h: Harness | undefined): Promise<void> {
  if (!h) return;
  h.client.close();
  await h.server.close().catch(() => undefined);
  h.admin.disconnect();
  h.redis.signal('SIGCONT');
  await h.redis.kill();
}

export interface Outcomes {
  resolved: number[];
  rejected: { n: number; error: SsePublishError; after: number }[];
}

/** Publishes 0, 1, 2… every `everyMs` until `stop()`; records how each ended. */
export function steadyPublisher(broadcast: BroadcastService, everyMs: number) {
  const outcomes: Outcomes = { resolved: [], rejected: [] };
  const settled: Promise<void>[] = [];
  let n = 0;
  const timer = setInterval(() => {
    const mine = n++;
    const started = Date.now();
    settled.push(
      broadcast.publish(CHANNEL, String(mine)).then(
        () => void outcomes.resolved.push(mine),
        (error: SsePublishError) =>
          void outcomes.rejected.push({ n: mine, error, after: Date.now() - started }),
      ),
    );
  }, everyMs);
  return {
    outcomes,
    async stop(): Promise<Outcomes> {
      clearInterval(timer);
      await Promise.all(settled);
      return outcomes;
    },
  };
}

/** Samples `transportState` every 20 ms; `downAt`/`upAt` in ms since `start`. */
export function stateWatch(broadcast: BroadcastService) {
  const start = Date.now();
  const seen: { downAt?: number; upAt?: number } = {};
  const timer = setInterval(() => {
    const state = broadcast.transportState;
    if (state === 'down' && seen.downAt === undefined) seen.downAt = Date.now() - start;
    if (state === 'up' && seen.downAt !== undefined && seen.upAt === undefined)
      seen.upAt = Date.now() - start;
  }, 20);
  return { seen, stop: () => clearInterval(timer) };
}

/** The numbers in the history stream of the channel (their `data:` lines). */
export async function storedNumbers(admin: Redis): Promise<number[]> {
  const entries = await admin.xrange(`${PREFIX}{history}:stream:${CHANNEL}`, '-', '+');
  return entries.map(([, fields]) => Number(/\ndata: (\d+)\n/.exec(fields[1])![1]));
}

export function received(client: RawSseClient): number[] {
  return client.events.filter((e) => e.event === undefined).map((e) => Number(e.data));
}
