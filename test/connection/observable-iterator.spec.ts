import { Observable, Subject, of, throwError, concat } from 'rxjs';
import { asObservable, observableIterator } from '../../src/connection/pipe/observable-iterator.js';

async function drain<T>(iterator: AsyncIterator<T>): Promise<T[]> {
  const values: T[] = [];
  for (let step = await iterator.next(); !step.done; step = await iterator.next())
    values.push(step.value);
  return values;
}

describe('asObservable: an Observable recognised by its shape', () => {
  it('takes an rxjs Observable, a Subject, and a { subscribe } object', () => {
    expect(asObservable(of(1))).not.toBeNull();
    expect(asObservable(new Subject())).not.toBeNull();
    expect(asObservable({ subscribe: () => undefined })).not.toBeNull();
  });

  it('asks an interop object (@@observable) for its observable', () => {
    const inner = of(1);
    expect(asObservable({ '@@observable': () => inner })).toBe(inner);
  });

  it.each([[null], ['string'], [[1, 2]], [{ next: () => undefined }], [42]])(
    'refuses %p',
    (value) => expect(asObservable(value)).toBeNull(),
  );
});

describe('observableIterator', () => {
  it('reads what an Observable emits synchronously, then completes', async () => {
    expect(await drain(observableIterator(of(1, 2, 3)))).toEqual([1, 2, 3]);
  });

  it('subscribes on the first next(), not before', async () => {
    let subscriptions = 0;
    const source = new Observable<number>((subscriber) => {
      subscriptions++;
      subscriber.next(1);
      subscriber.complete();
    });
    const iterator = observableIterator(source);
    expect(subscriptions).toBe(0);
    expect(await drain(iterator)).toEqual([1]);
    expect(subscriptions).toBe(1);
  });

  it('queues what is emitted while the reader waits, in order', async () => {
    const subject = new Subject<number>();
    const iterator = observableIterator(subject);
    const first = iterator.next();
    subject.next(1);
    subject.next(2);
    subject.next(3);
    subject.complete();
    expect(await first).toEqual({ done: false, value: 1 });
    expect(await drain(iterator)).toEqual([2, 3]);
  });

  it('reports an error after the values emitted before it', async () => {
    const iterator = observableIterator(
      concat(
        of('a', 'b'),
        throwError(() => new Error('boom')),
      ),
    );
    expect(await iterator.next()).toEqual({ done: false, value: 'a' });
    expect(await iterator.next()).toEqual({ done: false, value: 'b' });
    await expect(iterator.next()).rejects.toThrow('boom');
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('return() unsubscribes and ends a pending next()', async () => {
    let unsubscribed = 0;
    const source = new Observable<number>(() => () => unsubscribed++);
    const iterator = observableIterator(source);
    const pending = iterator.next();
    await iterator.return!();
    expect(unsubscribed).toBe(1);
    expect(await pending).toEqual({ done: true, value: undefined });
    await iterator.return!();
    expect(unsubscribed).toBe(1);
  });

  it('return() after completion does not unsubscribe again', async () => {
    let teardowns = 0;
    const source = new Observable<number>((subscriber) => {
      subscriber.complete();
      return () => teardowns++;
    });
    const iterator = observableIterator(source);
    await drain(iterator);
    await iterator.return!();
    expect(teardowns).toBe(1); // rxjs's own teardown on completion
  });

  it('accepts a teardown function from a plain { subscribe }', async () => {
    let unsubscribed = 0;
    const iterator = observableIterator<number>({ subscribe: () => () => unsubscribed++ });
    void iterator.next();
    await iterator.return!();
    expect(unsubscribed).toBe(1);
  });
});
