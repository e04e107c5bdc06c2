import { redactUrlCredentials } from './redact-secrets.js';

/** The logging the connection layer needs. Nest's `Logger` satisfies it. */
export interface SseLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

/** Used by `createSseHandler` when no logger is given. */
export const consoleLogger: SseLogger = {
  log: (message) => console.log(`[sse] ${message}`),
  warn: (message) => console.warn(`[sse] ${message}`),
  error: (message, stack) => console.error(`[sse] ${message}${stack ? `\n${stack}` : ''}`),
};

/** Message and stack of anything thrown, for logging, without the credentials of URLs in them. */
export function describeError(error: unknown): { message: string; stack?: string } {
  if (isErrorLike(error))
    return {
      message: redactUrlCredentials(error.message),
      stack: error.stack === undefined ? undefined : redactUrlCredentials(error.stack),
    };
  return { message: redactUrlCredentials(String(error)) };
}

/** An `Error`, also one made in another realm (a VM context, Jest's modules). */
export function isErrorLike(value: unknown): value is Error {
  return (
    value instanceof Error ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Error).message === 'string' &&
      typeof (value as Error).name === 'string')
  );
}

/** A logger of the application's, made safe: one that throws never breaks the library's work. */
export function guardLogger(logger: SseLogger): SseLogger {
  const guard =
    (write: (message: string, stack?: string) => void) => (message: string, stack?: string) => {
      try {
        // Nest's Logger prints an explicit `undefined` second argument as a message of its own.
        if (stack === undefined) write.call(logger, message);
        else write.call(logger, message, stack);
      } catch {
        // Nowhere left to report it: the logger itself failed.
      }
    };
  return { log: guard(logger.log), warn: guard(logger.warn), error: guard(logger.error) };
}
