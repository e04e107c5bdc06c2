import { encodeEvent } from '../../protocol/index.js';
import type { ConnectionController } from '../connection-controller.js';
import { NOT_A_PIPE_SOURCE, pipeSourceFailed, stoppingPipeSource } from '../connection.messages.js';
import { SseClosedError } from '../sse-closed.error.js';
import { describeError } from '../sse-logger.js';
import { guardUserCallback } from '../user-callback.js';
import { asObservable, observableIterator, type ObservableLike } from './observable-iterator.js';
import { assertPipeOptions, pipedEvent, type SsePipeOptions } from './piped-event.js';

/** Failures a pipe logged: the hook they reach next does not log them again. */
const loggedFailures = new WeakSet<object>();

/** Whether `error` is a source's failure that `sse.pipe` already logged. */
export function loggedByPipe(error: unknown): boolean {
  return typeof error === 'object' && error !== null && loggedFailures.has(error);
}

/** What `sse.pipe` reads: an async iterable (an async generator), an iterable, or an Observable. */
export type SsePipeSource<T> = AsyncIterable<T> | Iterable<T> | ObservableLike<T>;

/**
 * Writes each item of `source` as one event, one at a time: the next item is asked for only
 * once the previous one was handed to the socket (after `drain` under backpressure). When the
 * connection closes, the source is stopped (`return()` on its iterator, which runs a generator's
 * `finally` after the item it is working on; `unsubscribe()` on an Observable) and the pipe
 * rejects with `SseClosedError` at once. A source that throws (or an item `map`/encoding
 * refuses) is logged, stopped, and rejects the pipe; the connection stays open. Options that
 * can't be used (an `event` name with a line break) reject it with a `TypeError` before the source
 * is read, and are not logged: the caller's mistake, not the source's.
 */
export async function pipeSource<T>(
  controller: ConnectionController,
  source: SsePipeSource<T>,
  options?: SsePipeOptions<T>,
): Promise<void> {
  assertPipeOptions(options);
  const iterator = iteratorOf(source);
  if (controller.closed) {
    stop(controller, iterator);
    throw new SseClosedError(controller.id);
  }
  const signal = controller.signal;
  // The step in flight, failed at once when the client leaves (an idle source may never answer).
  let failStep: ((error: Error) => void) | null = null;
  let stopped = false;
  const onClose = () => {
    stopped = true;
    stop(controller, iterator);
    failStep?.(new SseClosedError(controller.id));
  };
  signal.addEventListener('abort', onClose, { once: true });
  try {
    for (;;) {
      const step = await new Promise<IteratorResult<T>>((resolve, reject) => {
        failStep = reject;
        iterator.next().then(resolve, reject);
      });
      failStep = null;
      if (controller.closed) throw new SseClosedError(controller.id);
      if (step.done) return;
      await controller.write(encodeEvent(pipedEvent(step.value, options)));
    }
  } catch (error) {
    // After the client left, what the source throws (an aborted fetch) is expected: not logged.
    if (controller.closed) throw new SseClosedError(controller.id);
    if (!stopped) stop(controller, iterator);
    const { message, stack } = describeError(error);
    controller.logger.error(
      pipeSourceFailed(controller.id, controller.connection.endpoint, message),
      stack,
    );
    if (typeof error === 'object' && error !== null) loggedFailures.add(error);
    throw error;
  } finally {
    failStep = null;
    signal.removeEventListener('abort', onClose);
  }
}

function iteratorOf<T>(source: SsePipeSource<T>): AsyncIterator<T> {
  if (source !== null && typeof source === 'object') {
    const asyncIterator = (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator];
    if (typeof asyncIterator === 'function') return asyncIterator.call(source);
    const observable = asObservable<T>(source);
    if (observable) return observableIterator(observable);
    if (typeof (source as Partial<Iterable<T>>)[Symbol.iterator] === 'function')
      return (async function* () {
        yield* source as Iterable<T>;
      })();
  }
  throw new TypeError(NOT_A_PIPE_SOURCE);
}

/** `return()` on the source's iterator; one that throws or rejects is logged. */
function stop<T>(controller: ConnectionController, iterator: AsyncIterator<T>): void {
  if (typeof iterator.return !== 'function') return;
  guardUserCallback(controller.logger, stoppingPipeSource(controller.id), () => iterator.return!());
}
