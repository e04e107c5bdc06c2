import { createBroadcaster, SseConnectError, type BroadcasterOptions } from '../../src/index.js';

/** The `SseConnectError` a `failFast` start with `options` fails with; throws if it started. */
export async function startFailure(options: BroadcasterOptions): Promise<SseConnectError> {
  const outcome = await createBroadcaster(options).then(
    async (broadcaster) => {
      await broadcaster.close();
      return null;
    },
    (error: unknown) => error,
  );
  if (!(outcome instanceof SseConnectError))
    throw new Error(`expected an SseConnectError, got ${String(outcome)}`);
  return outcome;
}
