import { historyGap, type HistoryPosition } from '../../src/broadcast/history/history-gap.js';
import { parseEventId } from '../../src/broadcast/history/event-id.js';

const id = (text: string) => parseEventId(text)!;
const NOW = 1_000_000;
const base: HistoryPosition = {
  since: id('900000-10'),
  newest: id('950000-20'),
  trimmedUpTo: null,
  ttlMs: 0,
  now: NOW,
};

describe('historyGap: the one rule of both stores', () => {
  it.each<[string, Partial<HistoryPosition>, boolean]>([
    ['an id inside the history, nothing trimmed', {}, false],
    ['the newest id itself', { since: id('950000-20') }, false],
    [
      'an id newer than anything issued (another store, a reset counter)',
      { since: id('950000-21') },
      true,
    ],
    ['nothing issued yet', { newest: null }, true],
    [
      'an id older than the first this store issued (memory, another process)',
      { oldest: id('900000-11') },
      true,
    ],
    ['the first id this store issued', { oldest: id('900000-10') }, false],
    ['the channel was trimmed past the id', { trimmedUpTo: id('910000-11') }, true],
    [
      'trimmed up to the id itself: nothing after it is gone',
      { trimmedUpTo: id('900000-10') },
      false,
    ],
    ['ids compare by sequence first', { trimmedUpTo: id('800000-11') }, true],
    ['older than the ttl: events may have expired unseen', { ttlMs: 50_000 }, true],
    ['within the ttl', { ttlMs: 200_000 }, false],
  ])('%s', (_, change, gap) => {
    expect(historyGap({ ...base, ...change })).toBe(gap);
  });
});
