import { ANSWER_GRACE_MS, RedisClock } from '../../src/broadcast/redis/redis-clock.js';

describe('RedisClock (the offset of Redis time that publish deadlines are checked against)', () => {
  it('maps local time onto Redis time with the measured offset, and keeps the most precise sample', () => {
    const clock = new RedisClock();
    expect(clock.known).toBe(false);
    // Redis is 1000.5 ms ahead; measured with a 4 ms round trip.
    clock.record(['101', '000500'], 100_000 - 2, 100_000 + 2);
    expect(clock.known).toBe(true);
    expect(clock.toRedis(200_000)).toBe(201_000);
    expect(clock.marginMs).toBe(4 + ANSWER_GRACE_MS);
    // A slower sample (a hung Redis answering late) does not replace it…
    clock.record(['150', '000000'], 110_000, 130_000);
    expect(clock.toRedis(200_000)).toBe(201_000);
    expect(clock.marginMs).toBe(4 + ANSWER_GRACE_MS);
    // …a faster one does.
    clock.record(['200', '000000'], 199_000, 199_000);
    expect(clock.toRedis(200_000)).toBe(201_000);
    expect(clock.marginMs).toBe(ANSWER_GRACE_MS);
    clock.reset();
    expect(clock.known).toBe(false);
  });

  it('replaces a sample older than a minute even by a less precise one (clocks drift)', () => {
    const clock = new RedisClock();
    clock.record(['100', '000000'], 100_000, 100_000);
    clock.record(['170', '000000'], 169_995, 170_005);
    expect(clock.marginMs).toBe(10 + ANSWER_GRACE_MS);
    expect(clock.toRedis(200_000)).toBe(200_000);
  });
});
