import type { Redis, RedisOptions } from 'ioredis';

/** What a connection waits before it is restarted, growing per attempt up to the cap. */
const RESTART_STEP_MS = 100;
const RESTART_CAP_MS = 2000;
/** A live Redis closes its end at once; a frozen one never does. */
const SENTINEL_DISCONNECT_MS = 250;

/**
 * With sentinels, a connection also listens to them for `+switch-master` and reconnects to the
 * promoted primary at once (ioredis' `failoverDetector`), unless the options say otherwise: without
 * it, a connection to a primary that froze (rather than died) stays on it until that one wakes up.
 * Leaving a frozen primary waits for its socket to close, up to `disconnectTimeout` (ioredis: 2 s);
 * here 250 ms unless set.
 * @internal
 */
export function sentinelDefaults(options: RedisOptions | undefined): RedisOptions {
  if (!options?.sentinels?.length) return {};
  const defaults: RedisOptions = {};
  if (options.failoverDetector === undefined) defaults.failoverDetector = true;
  if (options.disconnectTimeout === undefined) defaults.disconnectTimeout = SENTINEL_DISCONNECT_MS;
  return defaults;
}

/**
 * With a failover detector, ioredis may end a connection for good: a `+switch-master` that arrives
 * while the connection is already reconnecting (its primary died) aborts that reconnection, and
 * the connection goes to `end` instead of retrying. Such a connection is connected again here,
 * after a growing pause, until `closing()` says the transport closed.
 * @internal
 */
export function restartWhenEnded(client: Redis, closing: () => boolean): void {
  if (!(client.options as RedisOptions).failoverDetector) return;
  let attempts = 0;
  client.on('ready', () => (attempts = 0));
  client.on('end', () => {
    if (closing()) return;
    attempts += 1;
    setTimeout(
      () => {
        if (closing() || client.status !== 'end') return;
        client.connect().catch(() => {}); // its `error` event reports it; `end` comes again
      },
      Math.min(RESTART_STEP_MS * attempts, RESTART_CAP_MS),
    ).unref();
  });
}
