import { jest } from '@jest/globals';
import { LifetimeScheduler } from '../../src/connection/lifetime-scheduler.js';

describe('LifetimeScheduler', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_437 }));
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it.each([
    // seconds, jitter draw (0 → -10 %, 1 → +10 %), scheduled at ms after the timer started
    [1, 0, 0],
    [1, 0.999, 0],
    [1, 0.5, 999],
    [1, 0.999, 1],
    [30, 0, 400],
    [30, 0.999, 999],
    [300, 0.5, 0],
  ])(
    '%ss (draw %s, %s ms in) ends never early and at most one tick late',
    (seconds, draw, offset) => {
      const scheduler = new LifetimeScheduler();
      const ended: number[] = [];
      scheduler.schedule({ expire: () => ended.push(Date.now()) }, 3600); // starts the timer
      jest.advanceTimersByTime(offset);
      jest.spyOn(Math, 'random').mockReturnValue(draw);
      const start = Date.now();
      scheduler.schedule({ expire: () => ended.push(Date.now() - start) }, seconds);
      jest.advanceTimersByTime(seconds * 1100 + 1000);
      const due = seconds * (0.9 + draw * 0.2) * 1000;
      expect(ended).toHaveLength(1);
      expect(ended[0]).toBeGreaterThanOrEqual(due - 20);
      expect(ended[0]).toBeLessThanOrEqual(due + 1000);
      scheduler.clear();
    },
  );

  it('stops its timer when nothing is scheduled and ends nothing cancelled', () => {
    const scheduler = new LifetimeScheduler();
    const ended: string[] = [];
    const target = { expire: () => ended.push('a') };
    scheduler.schedule(target, 1);
    scheduler.cancel(target);
    expect(scheduler.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(ended).toEqual([]);
  });
});
