import { OutgoingFrame, type ChannelMember } from '../../src/connection/index.js';
import { ResumeState } from '../../src/connection/resume-state.js';
import { ConnectionPositions } from '../../src/broadcast/history/connection-positions.js';
import {
  compareEventIds,
  formatEventId,
  laterOf,
  parseEventId,
  parseStreamId,
} from '../../src/broadcast/history/event-id.js';
import {
  MAX_HISTORY_COUNTERS,
  historyCounterOf,
} from '../../src/broadcast/history/history-counter.js';
import { historyGap, isUnissued } from '../../src/broadcast/history/history-gap.js';
import { mergeReplay, type ReplayItem } from '../../src/broadcast/history/merge-replay.js';
import { ResumePosition } from '../../src/broadcast/history/resume-position.js';
import { MAX_LAST_EVENT_ID_BYTES } from '../../src/protocol/index.js';
import { historyTagOf, redisChannelOf } from '../../src/broadcast/redis/redis-channel-of.js';

const id = (text: string) => parseEventId(text)!;

describe('event ids of several counters: <k>:<ms>-<seq>-<epoch>', () => {
  it.each<[string, ReturnType<typeof parseEventId>]>([
    ['3:1732500000000-42-k3x9a0qz', { counter: 3, ms: 1732500000000, seq: 42, epoch: 'k3x9a0qz' }],
    ['0:1-1-a', { counter: 0, ms: 1, seq: 1, epoch: 'a' }],
    ['15:1-1-a', { counter: 15, ms: 1, seq: 1, epoch: 'a' }],
    ['1-1-a', { ms: 1, seq: 1, epoch: 'a' }], // the one counter: no prefix, as always
    ['100:1-1-a', null],
    [':1-1-a', null],
    ['a:1-1-a', null],
    ['3:1-1', null],
    ['3:1-1-a_4:1-1-a', null], // a position, not an id
  ])('parses %j', (text, parsed) => {
    expect(parseEventId(text)).toEqual(parsed);
    expect(parsed && formatEventId(parsed)).toBe(parsed && text);
  });

  it('reads a stream id of a counter', () => {
    expect(parseStreamId('5-6', 'ab', 2)).toEqual({ counter: 2, ms: 5, seq: 6, epoch: 'ab' });
    expect(formatEventId(parseStreamId('5-6', 'ab', 2)!)).toBe('2:5-6-ab');
  });

  it.each<[string, string, number | null]>([
    ['1:1000-5-a', '1:1000-6-a', -1],
    ['1:1000-5-a', '1:1000-5-a', 0],
    ['1:1000-5-a', '1:1000-5-b', null], // another epoch of the same counter
  ])('compares %s with %s within a counter', (a, b, order) => {
    const result = compareEventIds(id(a), id(b));
    expect(result === null ? null : Math.sign(result)).toBe(order);
  });

  it.each([
    ['1:1000-5-a', '2:1000-5-a'],
    ['1:1000-5-a', '2:1000-6-b'],
    ['1000-5-a', '0:1000-5-a'],
  ])('never compares ids of different counters (%s, %s): not "another epoch", a bug', (a, b) => {
    expect(() => compareEventIds(id(a), id(b))).toThrow(TypeError);
  });
});

describe('laterOf: what a member has of a counter (its replay, or its Last-Event-ID)', () => {
  it.each([
    [null, null, null],
    ['1:5-3-e', null, '1:5-3-e'],
    [null, '1:5-3-e', '1:5-3-e'],
    ['1:5-3-e', '1:6-4-e', '1:6-4-e'],
    ['1:6-4-e', '1:5-3-e', '1:6-4-e'],
    ['1:5-3-e', '1:6-4-f', '1:5-3-e'], // another epoch: no order, the first stands
    ['1:5-3-e', '2:9-9-e', '1:5-3-e'], // another counter: no order, the first stands
  ])('laterOf(%s, %s) is %s', (a, b, later) => {
    const result = laterOf(a === null ? null : id(a), b === null ? null : id(b));
    expect(result && formatEventId(result)).toBe(later);
  });
});

describe('historyCounterOf: FNV-1a of the channel, modulo the counters', () => {
  it('is undefined with one counter, stable and in range with more', () => {
    expect(historyCounterOf('user:42', 1)).toBeUndefined();
    // Fixed values: every worker, every version, must agree.
    expect(historyCounterOf('', 16)).toBe(0x811c9dc5 % 16);
    expect(historyCounterOf('a', 16)).toBe(0xe40c292c % 16);
    expect(historyCounterOf('foobar', 4)).toBe(0xbf9cf968 % 4);
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 1600; i++) counts[historyCounterOf(`user:${i}`, 16)!]++;
    for (const count of counts) expect(count).toBeGreaterThan(60); // spread, not one hot counter
  });

  it.each([
    { channel: 'user:42', counters: 16, counter: 2 },
    { channel: '/notifications', counters: 7, counter: 3 },
    { channel: 'room:é', counters: 16, counter: 0 },
    { channel: 'emoji:😀', counters: 16, counter: 8 },
    { channel: 'lone:\ud800', counters: 7, counter: 6 },
  ])(
    'hashes the UTF-8 bytes of the name: $channel → $counter of $counters (as every version did)',
    ({ channel, counters, counter }) => {
      expect(historyCounterOf(channel, counters)).toBe(counter);
    },
  );

  it('a history channel of counter k travels on a Redis channel with its hash tag', () => {
    expect(redisChannelOf('sse:', 'user:1', undefined)).toBe('sse:user:1');
    expect(redisChannelOf('sse:', 'user:1', historyTagOf(3))).toBe('sse:{history:3}user:1');
    expect(historyTagOf(undefined)).toBe('{history}');
  });
});

describe('ResumePosition: one part per counter', () => {
  it.each<[string, string | null]>([
    ['1-2-a', '1-2-a'],
    ['3:1-2-a', '3:1-2-a'],
    ['3:1-2-a_1:1-5-b', '1:1-5-b_3:1-2-a'], // sorted by counter
    ['1-2-a_0:1-2-b', '1-2-a_0:1-2-b'], // the one counter's part first
    ['3:1-2-a_3:1-3-a', null], // a counter twice
    ['3:1-2-a__1:1-2-a', null],
    ['3:1-2-a_', null],
    ['3:1-2-a_x', null],
    ['', null],
  ])('parses %j', (text, formatted) => {
    expect(ResumePosition.parse(text)?.format() ?? null).toBe(formatted);
  });

  it('the longest position fits a Last-Event-ID', () => {
    const longest = ['9'.repeat(15), '9'.repeat(15), 'z'.repeat(16)].join('-');
    const parts = [longest];
    for (let k = 0; k < MAX_HISTORY_COUNTERS; k++) parts.push(`${k}:${longest}`);
    const text = parts.join('_');
    expect(text.length).toBeLessThanOrEqual(MAX_LAST_EVENT_ID_BYTES);
    expect(ResumePosition.parse(text)?.format()).toBe(text);
    expect(ResumePosition.parse(`${text}_99:1-1-a`)).toBeNull(); // one part too many
  });

  it.each<[string, string, boolean, string]>([
    ['1:5-5-a', '2:1-1-a', true, '1:5-5-a_2:1-1-a'], // a new counter: added
    ['1:5-5-a', '1:6-6-a', true, '1:6-6-a'], // forward
    ['1:5-5-a', '1:4-4-a', false, '1:5-5-a'], // never back
    ['1:5-5-a', '1:5-5-a', false, '1:5-5-a'],
    ['1:5-5-a', '1:1-1-b', true, '1:1-1-b'], // another epoch replaces the part
    ['1:5-5-a_2:7-7-a', '2:8-8-a', true, '1:5-5-a_2:8-8-a'], // only its own counter
    ['1:5-5-a_3:1-1-a', '2:9-9-b', true, '1:5-5-a_2:9-9-b_3:1-1-a'], // added between, in order
    ['5-5-a_1:5-5-a', '6-6-a', true, '6-6-a_1:5-5-a'], // the one counter stays first
    ['1:5-9-a', '1:6-8-a', false, '1:5-9-a'], // seq decides, not ms
  ])('from %s, advancing with %s', (from, next, changed, after) => {
    const position = ResumePosition.parse(from)!;
    expect(position.advance(id(next))).toBe(changed);
    expect(position.format()).toBe(after);
  });

  it('says where each counter resumes from', () => {
    const position = ResumePosition.parse('1:5-5-a_2:7-7-b')!;
    expect(position.since(1)).toEqual(id('1:5-5-a'));
    expect(position.since(2)).toEqual(id('2:7-7-b'));
    expect(position.since(3)).toBeUndefined();
    expect(position.since(undefined)).toBeUndefined();
    expect(ResumePosition.parse('5-5-a')!.since(undefined)).toEqual(id('5-5-a'));
  });
});

describe('the replay across counters', () => {
  const item = (text: string): ReplayItem<string> => ({ id: text, frame: text });
  it.each<[string, string[], string[], string[]]>([
    [
      'by time, then counter; each counter in its own order',
      ['1:20-2-a', '2:10-1-a', '1:10-1-a', '2:30-2-a'],
      [],
      ['1:10-1-a', '2:10-1-a', '1:20-2-a', '2:30-2-a'],
    ],
    [
      'a counter whose clock stepped back stays in seq order',
      ['1:50-1-a', '1:40-2-a', '2:45-1-a'],
      [],
      ['2:45-1-a', '1:50-1-a', '1:40-2-a'],
    ],
    [
      'same seq on two counters are different events',
      ['1:10-1-a', '2:10-1-a'],
      ['2:10-1-a', '3:5-1-a'],
      ['3:5-1-a', '1:10-1-a', '2:10-1-a'],
    ],
    [
      'epochs of one counter are never mixed with another counter',
      ['1:10-9-a', '1:20-1-b', '2:15-1-a'],
      [],
      ['1:10-9-a', '2:15-1-a', '1:20-1-b'],
    ],
  ])('%s', (_, history, held, order) => {
    expect(mergeReplay(history.map(item), held.map(item))).toEqual(order);
  });

  it('any prefix resumes exactly the rest, per counter', () => {
    const events = ['1:10-1-a', '2:11-1-b', '2:12-2-b', '1:13-2-a', '3:13-1-c', '1:14-3-a'];
    const order = mergeReplay(events.map(item), []);
    for (let cut = 0; cut <= order.length; cut++) {
      const position = new ResumePosition();
      for (const seen of order.slice(0, cut)) position.advance(id(seen));
      const rest = order.filter((event) => {
        const since = position.since(id(event).counter);
        return !since || compareEventIds(id(event), since)! > 0;
      });
      expect(rest).toEqual(order.slice(cut));
    }
  });
});

describe('the gap rule and the seen ids, per counter', () => {
  it.each<[string, string, number | undefined, boolean]>([
    ['an id of the channel counter, issued', '2:10-5-e', 2, false],
    ['an id of another counter: never issued by this one', '1:10-5-e', 2, true],
    ['an id of the one counter, for a counter channel', '10-5-e', 2, true],
    ['an id of a counter, for the one counter', '2:10-5-e', undefined, true],
  ])('%s', (_, since, counter, unissued) => {
    const newest = parseStreamId('10-9', 'e', counter);
    expect(isUnissued(id(since), 'e', newest, counter)).toBe(unissued);
    expect(
      historyGap({
        since: id(since),
        counter,
        epoch: 'e',
        newest,
        channelNewest: null,
        replayed: null,
        ttlMs: 0,
        now: 0,
      }),
    ).toBe(unissued);
  });
});

/** A member that records what it is written, as one stream. */
class Member implements ChannelMember {
  readonly id = 'm';
  readonly closed = false;
  readonly resume = new ResumeState(true);
  written = '';
  constructor(readonly lastEventId: string | null) {}
  deliver(frame: OutgoingFrame): void {
    this.written += frame.bytes.toString();
  }
  deliverPosition(frame: OutgoingFrame): void {
    this.written += frame.bytes.toString();
  }
  terminate(): void {}
}

const frame = (text: string, data = 'x') =>
  new OutgoingFrame(Buffer.from(`id: ${text}\ndata: ${data}\n\n`));

describe('ConnectionPositions: own id lines only for connections spanning counters', () => {
  it('a connection in one counter gets frames as they are; joining a second reads every head', () => {
    const positions = new ConnectionPositions();
    const member = new Member('1:5-5-a');
    expect(positions.joined(member, 'a', 1)).toEqual({ spanning: [], heads: [] });
    expect(positions.joined(member, 'a2', 1)).toEqual({ spanning: [], heads: [] });
    positions.deliver(member, frame('1:6-6-a'), '1:6-6-a');
    expect(member.written).toBe('id: 1:6-6-a\ndata: x\n\n');
    member.written = '';
    expect(positions.joined(member, 'b', 2)).toEqual({ spanning: ['a', 'a2', 'b'], heads: [1, 2] });
    positions.moveToHeads(member, [id('1:9-9-a'), id('2:3-3-a')]);
    expect(member.written).toBe('id: 1:9-9-a_2:3-3-a\n\n'); // no event: an id-only block
    member.written = '';
    positions.deliver(member, frame('2:4-4-a', 'y'), '2:4-4-a');
    // One block: the position line, then the shared frame's body (its own id line cut off).
    expect(member.written).toBe('id: 1:9-9-a_2:4-4-a\ndata: y\n\n');
    expect(positions.joined(member, 'c', 3)).toEqual({ spanning: ['c'], heads: [3] });
    expect(positions.joined(member, 'b2', 2)).toEqual({ spanning: ['b2'], heads: [] });
  });

  it('leaving back to one counter gets frames as they are again', () => {
    const positions = new ConnectionPositions();
    const member = new Member(null);
    positions.joined(member, 'a', 1);
    positions.joined(member, 'b', 2);
    expect(positions.spans(member)).toBe(true);
    expect(positions.left(member, 'b')).toEqual(['b', 'a']);
    expect(positions.spans(member)).toBe(false);
    positions.deliver(member, frame('1:6-6-a'), '1:6-6-a');
    expect(member.written).toBe('id: 1:6-6-a\ndata: x\n\n');
  });

  it('starts from the Last-Event-ID it came with; a frame without an id goes as it is', () => {
    const positions = new ConnectionPositions();
    const member = new Member('1:5-5-a_2:7-7-a');
    positions.joined(member, 'a', 1);
    positions.joined(member, 'b', 2);
    positions.deliver(member, frame('1:6-6-a'), '1:6-6-a');
    expect(member.written).toBe('id: 1:6-6-a_2:7-7-a\ndata: x\n\n');
    member.written = '';
    positions.deliver(member, new OutgoingFrame(Buffer.from('data: live\n\n')), undefined);
    expect(member.written).toBe('data: live\n\n');
  });
});
