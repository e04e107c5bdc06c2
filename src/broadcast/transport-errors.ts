import { describeError } from '../connection/index.js';

/**
 * Something a transport could not do; the base of its errors. `timedOut` tells a transport that
 * gave up waiting (Redis unreachable past `publishTimeout`) from one that was refused (a Redis
 * error, in `cause`).
 */
export class SseTransportError extends Error {
  override readonly name: string = 'SseTransportError';
  /** `true`: nothing answered in time; `false`: the transport failed (see `cause`). */
  readonly timedOut: boolean;

  constructor(message: string, options: { cause?: unknown; timedOut?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: safeCause(options.cause) });
    this.timedOut = options.timedOut ?? false;
  }
}

/**
 * What a transport error keeps as its `cause`: a transport error as it is; any other error only by
 * name, message and stack (credentials in URLs hidden), none of its fields — the Redis client
 * attaches the command that failed (an `AUTH`'s password among its arguments), and a cluster its
 * last node's error, which Node prints with the error.
 */
function safeCause(cause: unknown): unknown {
  if (cause instanceof SseTransportError) return cause;
  const { message, stack } = describeError(cause);
  const safe = new Error(message);
  if (cause instanceof Error) safe.name = cause.name;
  safe.stack = stack ?? `${safe.name}: ${message}`;
  return safe;
}

/** The class of a transport error (how a caller picks which one to raise). */
export type SseTransportErrorClass = new (
  message: string,
  options?: { cause?: unknown; timedOut?: boolean },
) => SseTransportError;

/**
 * Whether a rejected publish may still reach anyone: `'not-sent'` it never will (refused before it
 * was written, past its deadline so Redis will not run it, or Redis ran it too late and it did
 * nothing); `'unknown'` the connection died while the publish was in flight, so nobody can know
 * whether Redis ran it.
 */
export type PublishOutcome = 'not-sent' | 'unknown';

/** A publish the transport could not accept (e.g. Redis unreachable past `publishTimeout`). */
export class SsePublishError extends SseTransportError {
  override readonly name: string = 'SsePublishError';
  /** `'not-sent'`: never delivered nor stored; `'unknown'`: it may have been. */
  readonly outcome: PublishOutcome;

  constructor(
    message: string,
    options: { cause?: unknown; timedOut?: boolean; outcome?: PublishOutcome } = {},
  ) {
    super(message, options);
    this.outcome = options.outcome ?? 'not-sent';
  }
}

/**
 * A channel the transport could not subscribe to (e.g. Redis unreachable past `publishTimeout`):
 * `sse.join` rejects with it. The channel stays wanted: it is subscribed once Redis is back.
 */
export class SseSubscribeError extends SseTransportError {
  override readonly name: string = 'SseSubscribeError';
}

/** The transport could not connect at startup (the Redis transport with `failFast: true`). */
export class SseConnectError extends SseTransportError {
  override readonly name: string = 'SseConnectError';
}
