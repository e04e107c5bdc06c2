/** What is taken from an Observable's subscriber: rxjs's `Subscription`, or a teardown function. */
type Teardown = { unsubscribe(): void } | (() => void) | void | null | undefined;

interface Observer<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * An rxjs `Observable`, or anything with the same `subscribe(observer)`: recognised by shape, so
 * the connection layer does not import rxjs. An object with `Symbol.observable` (or rxjs's
 * `'@@observable'` key when that symbol is not defined) is asked for its observable first.
 */
export interface ObservableLike<T> {
  subscribe(observer: Observer<T>): Teardown;
}

const INTEROP_KEYS: readonly PropertyKey[] = [
  ...(typeof (Symbol as { observable?: symbol }).observable === 'symbol'
    ? [(Symbol as unknown as { observable: symbol }).observable]
    : []),
  '@@observable',
];

/** The observable behind `value` (itself, or what its interop method returns), else `null`. */
export function asObservable<T>(value: unknown): ObservableLike<T> | null {
  if (typeof value !== 'object' || value === null) return null;
  for (const key of INTEROP_KEYS) {
    const interop = (value as Record<PropertyKey, unknown>)[key];
    if (typeof interop === 'function') {
      const observable: unknown = interop.call(value);
      if (hasSubscribe(observable)) return observable as ObservableLike<T>;
    }
  }
  return hasSubscribe(value) ? (value as ObservableLike<T>) : null;
}

function hasSubscribe(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { subscribe?: unknown }).subscribe === 'function'
  );
}

/**
 * Reads an Observable as an async iterator: subscribed on the first `next()`, unsubscribed by
 * `return()`. An Observable cannot be paused, so what it emits while the reader waits is queued
 * in memory; errors and completion are reported after the values queued before them.
 */
export function observableIterator<T>(observable: ObservableLike<T>): AsyncIterator<T, undefined> {
  const queue: T[] = [];
  let head = 0;
  let subscribed = false;
  let finished = false;
  let failure: { error: unknown } | null = null;
  let teardown: Teardown = null;
  let waiting: {
    resolve(step: IteratorResult<T, undefined>): void;
    reject(e: unknown): void;
  } | null = null;

  const DONE: IteratorResult<T, undefined> = { done: true, value: undefined };

  const settleWaiting = () => {
    const waiter = waiting;
    if (!waiter) return;
    waiting = null;
    if (head < queue.length) waiter.resolve({ done: false, value: take() });
    else if (failure) waiter.reject(takeFailure());
    else waiter.resolve(DONE);
  };
  const take = (): T => {
    const value = queue[head];
    queue[head++] = undefined as T;
    if (head === queue.length) queue.length = head = 0;
    return value;
  };
  const takeFailure = (): unknown => {
    const { error } = failure!;
    failure = null;
    return error;
  };
  const unsubscribe = () => {
    const current = teardown;
    teardown = null;
    if (typeof current === 'function') current();
    else current?.unsubscribe();
  };

  const subscribe = () => {
    subscribed = true;
    // rxjs tears a subscription down itself on error or completion: only `return()` unsubscribes.
    teardown = observable.subscribe({
      next: (value) => {
        if (finished) return;
        queue.push(value);
        settleWaiting();
      },
      error: (error) => {
        if (finished) return;
        finished = true;
        failure = { error };
        settleWaiting();
      },
      complete: () => {
        if (finished) return;
        finished = true;
        settleWaiting();
      },
    });
    if (finished) teardown = null;
  };

  return {
    next(): Promise<IteratorResult<T, undefined>> {
      if (!subscribed) subscribe();
      if (head < queue.length) return Promise.resolve({ done: false, value: take() });
      if (failure) return Promise.reject(takeFailure());
      if (finished) return Promise.resolve(DONE);
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return(): Promise<IteratorResult<T, undefined>> {
      const wasFinished = finished;
      finished = true;
      queue.length = head = 0;
      failure = null;
      if (!wasFinished) unsubscribe();
      settleWaiting();
      return Promise.resolve(DONE);
    },
  };
}
