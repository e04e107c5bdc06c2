import { userCallbackFailed } from './connection.messages.js';
import { describeError, type SseLogger } from './sse-logger.js';

/**
 * Runs an application callback so that its failure cannot reach the library or other
 * connections: a throw, or a returned promise that rejects, is logged as `what` and swallowed.
 * Returns what the callback returned, or `undefined` if it threw.
 */
export function guardUserCallback<T>(
  logger: SseLogger,
  what: string,
  callback: () => T,
): T | undefined {
  try {
    const result = callback();
    if (result instanceof Promise)
      result.catch((error: unknown) => logFailure(logger, what, error));
    return result;
  } catch (error) {
    logFailure(logger, what, error);
    return undefined;
  }
}

function logFailure(logger: SseLogger, what: string, error: unknown): void {
  const { message, stack } = describeError(error);
  logger.error(userCallbackFailed(what, message), stack);
}
