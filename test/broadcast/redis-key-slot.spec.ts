import { keySlot } from '../../src/broadcast/redis/redis-key-slot.js';

// Expected slots are what `CLUSTER KEYSLOT` answered on Redis 7.0.
describe('keySlot', () => {
  it.each([
    ['', 0],
    ['a', 15495],
    ['foo', 12182],
    ['bar', 5061],
    ['hello', 866],
    ['{user1000}.following', 3443],
    ['{}', 15257],
    ['{}x', 10595],
    ['x{}y', 16116],
    ['{a}{b}', 15495],
    ['a{b', 13340],
    ['a}b{c}', 7365],
    ['{{a}}', 10276],
    ['sse:{health}:probe', 142],
    ['sse:user:42', 2919],
    ['sse:{history}:x', 14914],
    ['é€', 934],
  ])('slot of %j is %d', (name, slot) => {
    expect(keySlot(name)).toBe(slot);
    expect(keySlot(Buffer.from(name))).toBe(slot);
  });
});
