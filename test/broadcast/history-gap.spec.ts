import { historyGap, type HistoryPosition } from '../../src/broadcast/history/history-gap.js';
import {
  compareEventIds,
  formatEventId,
  newEpoch,
  parseEventId,
  parseStreamId,
} from '../../src/broadcast/history/event-id.js';

const id = (text: string) =>
  parseEventId(text.includes('-', text.indexOf('-') + 1) ? text : `${text}-ep`)!;
const NOW = 1_000_000;
/** A client at seq 10; the store issued up to 20, the channel's newest is 18, fully held. */
const base: HistoryPosition = {
  since: id('900000-10'),
  epoch: 'ep',
  newest: id('950000-20'),
  channelNewest: id('940000-18'),
  replayed: { previous: id('900000-9'), last: id('940000-18') },
  ttlMs: 0,
  now: NOW,
};

describe('event ids: <ms>-<seq>-<epoch>', () => {
  it.each<[string, ReturnType<typeof parseEventId>]>([
    ['1732500000000-42-k3x9a0qz', { ms: 1732500000000, seq: 42, epoch: 'k3x9a0qz' }],
    ['0-0-a', { ms: 0, seq: 0, epoch: 'a' }],
    ['1-1-1', { ms: 1, seq: 1, epoch: '1' }],
    ['1-1', null], // no epoch: an id of before epochs, or not ours
    ['0-0', null],
    ['1-1-', null],
    ['1-1-ABC', null],
    ['1-1-a b', null],
    ['1-1-a\n', null],
    ['1-1-abc:d', null],
    ['1-1-' + 'a'.repeat(17), null],
    ['9999999999999999-1-a', null],
    ['-1-1-a', null],
    ['x', null],
    ['', null],
  ])('parses %j', (text, parsed) => {
    expect(parseEventId(text)).toEqual(parsed);
    expect(parsed && formatEventId(parsed)).toBe(parsed && text);
  });

  it('reads a stream id in a given epoch; makes fresh epochs of its own form', () => {
    expect(parseStreamId('5-6', 'ab')).toEqual({ ms: 5, seq: 6, epoch: 'ab' });
    expect(parseStreamId('5-6-ab', 'ab')).toBeNull();
    const epochs = new Set(Array.from({ length: 1000 }, () => newEpoch()));
    expect(epochs.size).toBe(1000);
    for (const epoch of epochs) expect(parseEventId(`1-1-${epoch}`)?.epoch).toBe(epoch);
  });

  it.each<[string, string, number | null]>([
    ['1000-5-a', '1000-6-a', -1],
    ['1000-5-a', '1000-5-a', 0],
    ['2000-3-a', '1000-4-a', -1], // by sequence first: the clock may step back
    ['1000-5-a', '1000-4-a', 1],
    ['1000-5-a', '1000-6-b', null], // another epoch: neither before nor after
    ['1000-5-a', '1000-5-b', null],
  ])('compares %s with %s', (a, b, order) => {
    const result = compareEventIds(parseEventId(a)!, parseEventId(b)!);
    expect(result === null ? null : Math.sign(result)).toBe(order);
  });
});

describe('historyGap: the one rule of both stores', () => {
  it.each<[string, Partial<HistoryPosition>, boolean]>([
    ['an id inside the history, everything after it held', {}, false],
    [
      'the newest id itself',
      { since: id('950000-20'), channelNewest: id('950000-20'), replayed: null },
      false,
    ],
    [
      'nothing published on the channel after the id',
      { channelNewest: id('800000-5'), replayed: null },
      false,
    ],
    ['nothing ever published on the channel', { channelNewest: null, replayed: null }, false],
    [
      'an id newer than anything issued (another store, a reset counter)',
      { since: id('950000-21'), replayed: null },
      true,
    ],
    ['nothing issued yet', { newest: null, channelNewest: null, replayed: null }, true],
    ['an id of another epoch (the counter was lost)', { since: id('900000-10-old') }, true],
    [
      'an id of another epoch, below the trim of this one',
      { since: id('100-1-old'), replayed: null },
      true,
    ],
    [
      'an id of another epoch "from the future"',
      { since: id('999999-99999-old'), replayed: null },
      true,
    ],
    [
      'the channel was trimmed past the id: its first held event follows a newer one',
      { replayed: { previous: id('910000-11'), last: id('940000-18') } },
      true,
    ],
    [
      'the first held event follows the id itself',
      { replayed: { previous: id('900000-10'), last: id('940000-18') } },
      false,
    ],
    [
      'the first held event is the channel first in this epoch',
      { replayed: { previous: null, last: id('940000-18') } },
      false,
    ],
    [
      'the first held event does not say what came before it (written by an older version)',
      { replayed: { previous: undefined, last: id('940000-18') } },
      true,
    ],
    [
      'ids compare by sequence first',
      { replayed: { previous: id('800000-11'), last: id('940000-18') } },
      true,
    ],
    [
      'the stream is gone (evicted, expired) while the channel has newer events',
      { replayed: null },
      true,
    ],
    [
      'the stream is shorter than the channel: its newest event is not held',
      { replayed: { previous: id('900000-9'), last: id('930000-15') } },
      true,
    ],
    [
      'events held while the channel knows none after the id: inconsistent, a gap',
      { channelNewest: null },
      true,
    ],
    ['older than the ttl: events may have expired unseen', { ttlMs: 50_000 }, true],
    ['within the ttl', { ttlMs: 200_000 }, false],
    [
      'the store is behind what the worker saw (a failover lost writes; same epoch until a publish)',
      { seenSeq: 25 },
      true,
    ],
    ['the worker saw what the store issued, and no more', { seenSeq: 20 }, false],
    ['the worker saw less than the store issued', { seenSeq: 12 }, false],
  ])('%s', (_, change, gap) => {
    expect(historyGap({ ...base, ...change })).toBe(gap);
  });
});
