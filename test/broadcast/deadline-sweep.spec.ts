import { jest } from '@jest/globals';
import { DeadlineSweep } from '../../src/broadcast/redis/deadline-sweep.js';

interface Item {
  name: string;
  deadline: number;
  settled: boolean;
}

describe('DeadlineSweep (one timer for the deadlines of every pending publish)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000 }));
  afterEach(() => jest.useRealTimers());

  const item = (name: string, deadline: number): Item => ({ name, deadline, settled: false });

  it.each([
    {
      what: 'expires each unsettled item at its deadline, in order',
      deadlines: [1_100, 1_200, 1_300],
      settle: [],
      advance: [100, 100, 100],
      expired: [['a'], ['b'], ['c']],
    },
    {
      what: 'skips items settled before their deadline',
      deadlines: [1_100, 1_200, 1_300],
      settle: ['a', 'c'],
      advance: [100, 100, 100],
      expired: [[], ['b'], []],
    },
    {
      what: 'expires items with the same deadline together',
      deadlines: [1_100, 1_100, 1_150],
      settle: [],
      advance: [99, 1, 50],
      expired: [[], ['a', 'b'], ['c']],
    },
    {
      what: 'expires an item added out of order (the wall clock stepped back) with the one before it',
      deadlines: [1_200, 1_100],
      settle: [],
      advance: [100, 100],
      expired: [[], ['a', 'b']],
    },
  ])('$what', ({ deadlines, settle, advance, expired }) => {
    const seen: string[] = [];
    const sweep = new DeadlineSweep<Item>((due) => {
      seen.push(due.name);
      due.settled = true;
    });
    const items = deadlines.map((deadline, i) => item(String.fromCharCode(97 + i), deadline));
    items.forEach((one) => sweep.add(one));
    for (const early of items.filter((one) => settle.includes(one.name))) {
      early.settled = true;
      sweep.settled();
    }
    advance.forEach((ms, step) => {
      const before = seen.length;
      jest.advanceTimersByTime(ms);
      expect(seen.slice(before)).toEqual(expired[step]);
    });
    expect(sweep.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps no timer once everything settled, and arms one again for the next item', () => {
    const sweep = new DeadlineSweep<Item>(() => undefined);
    const first = item('a', 1_100);
    sweep.add(first);
    expect(jest.getTimerCount()).toBe(1);
    first.settled = true;
    sweep.settled();
    expect(jest.getTimerCount()).toBe(0);
    expect(sweep.size).toBe(0);
    sweep.add(item('b', 1_200));
    expect(jest.getTimerCount()).toBe(1);
  });

  it('uses one timer however many items wait, and compacts what settled at the head', () => {
    const sweep = new DeadlineSweep<Item>(() => undefined);
    const items = Array.from({ length: 5_000 }, (_, i) => item(String(i), 2_000 + i));
    items.forEach((one) => sweep.add(one));
    expect(jest.getTimerCount()).toBe(1);
    items.slice(0, 4_000).forEach((one) => {
      one.settled = true;
      sweep.settled();
    });
    expect(sweep.size).toBe(1_000);
    expect(jest.getTimerCount()).toBe(1);
  });
});
