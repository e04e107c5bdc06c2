import { createParser, type EventSourceMessage } from 'eventsource-parser';
import {
  encodeComment,
  encodeEvent,
  eventStreamHeaders,
  parseLastEventId,
  readResumePoint,
} from '../../src/protocol/index.js';

function parse(stream: string): {
  events: EventSourceMessage[];
  comments: string[];
  retries: number[];
} {
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = createParser({
    onEvent: (e) => events.push(e),
    onComment: (c) => comments.push(c),
    onRetry: (r) => retries.push(r),
  });
  // Feed in odd-sized chunks: the format must survive any split.
  for (let i = 0; i < stream.length; i += 7) parser.feed(stream.slice(i, i + 7));
  return { events, comments, retries };
}

/** A deterministic PRNG so failures are reproducible. */
function random(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const PIECES = [
  'a',
  ' ',
  '  lead',
  'é',
  '日本',
  '😀',
  '\n',
  '\r',
  '\r\n',
  '\n\n',
  'data: x',
  ':',
  '\t',
  'id: 1',
  '{"k":1}',
  '\u2028',
];

function randomText(next: () => number, maxPieces: number): string {
  let text = '';
  const n = Math.floor(next() * maxPieces);
  for (let i = 0; i < n; i++) text += PIECES[Math.floor(next() * PIECES.length)];
  return text;
}

/** What a conformant client reconstructs from data containing CR, LF or CRLF. */
const normalise = (text: string) => text.replace(/\r\n|\r/g, '\n');

describe('wire format', () => {
  it('round-trips 1,000 random payloads byte-exact through eventsource-parser', () => {
    const next = random(42);
    const payloads: string[] = [];
    for (let i = 0; i < 1000; i++) payloads.push(randomText(next, 12));
    payloads.push(
      '',
      ' ',
      '  two leading',
      'trailing ',
      '\n',
      '\r\n',
      'x'.repeat(64 * 1024),
      '😀'.repeat(5000),
    );
    const stream = payloads
      .map((data, i) => encodeEvent({ data, id: String(i), event: i % 3 ? 'm' : undefined }))
      .join('');
    const { events } = parse(stream);
    expect(events).toHaveLength(payloads.length);
    events.forEach((event, i) => {
      expect(event.data).toBe(normalise(payloads[i]));
      expect(event.id).toBe(String(i));
      expect(event.event).toBe(i % 3 ? 'm' : undefined);
    });
  });

  it('writes one data line per line, always with the space after the colon', () => {
    expect(encodeEvent({ data: ' a\r\nb\rc\nd' })).toBe('data:  a\ndata: b\ndata: c\ndata: d\n\n');
    expect(encodeEvent({ data: '' })).toBe('data: \n\n');
  });

  it('JSON-encodes non-string data and writes fields in a fixed order', () => {
    expect(encodeEvent({ data: { a: [1, 'x\ny'] }, event: 'e', id: 7, retry: 1000 })).toBe(
      'event: e\nid: 7\nretry: 1000\ndata: {"a":[1,"x\\ny"]}\n\n',
    );
    const { events, retries } = parse(encodeEvent({ data: { a: 1 }, retry: 10 }));
    expect(JSON.parse(events[0].data)).toEqual({ a: 1 });
    expect(retries).toEqual([10]);
  });

  it.each([
    ['event with LF', { event: 'a\nb' }],
    ['event with CR', { event: 'a\rb' }],
    ['event that is not a string', { event: 5 as unknown as string }],
    ['id with LF', { id: 'a\nb' }],
    ['id with CR', { id: 'a\rb' }],
    ['id with NUL', { id: 'a\0b' }],
    ['id that is NaN', { id: Number.NaN }],
    ['negative retry', { retry: -1 }],
    ['fractional retry', { retry: 1.5 }],
    ['string retry', { retry: '10' as unknown as number }],
  ])('rejects an %s with TypeError', (_name, fields) => {
    expect(() => encodeEvent({ data: 'x', ...fields })).toThrow(TypeError);
  });

  it('encodes comments, one line each', () => {
    expect(encodeComment()).toBe(':\n\n');
    expect(encodeComment('a\nb')).toBe(': a\n: b\n\n');
    expect(parse(encodeComment('ping')).comments).toEqual(['ping']);
  });

  it('sends Connection: keep-alive on HTTP/1.1 only, and only when the connection is kept', () => {
    expect(eventStreamHeaders(1)).toMatchObject({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    expect(eventStreamHeaders(2)).not.toHaveProperty('Connection');
    expect(eventStreamHeaders(1, false)).not.toHaveProperty('Connection');
  });
});

describe('parseLastEventId', () => {
  it('keeps a valid id', () => {
    expect(parseLastEventId('42')).toBe('42');
    expect(parseLastEventId('a b é')).toBe('a b é');
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['repeated', ['1', '2']],
    ['over 1 KiB', 'x'.repeat(1025)],
    ['over 1 KiB in UTF-8', 'é'.repeat(600)],
    ['with NUL', 'a\0'],
    ['with CR', 'a\r'],
    ['with LF', 'a\n'],
  ])('ignores an id that is %s', (_name, header) => {
    expect(parseLastEventId(header as string)).toBeNull();
  });
});

describe('readResumePoint: the Last-Event-ID header, else the query parameter', () => {
  const fresh = { lastEventId: null, resuming: false };
  const garbage = { lastEventId: null, resuming: true };
  it.each([
    ['the header', '7', '/e', { lastEventId: '7', resuming: true }],
    [
      'the query parameter without a header',
      undefined,
      '/e?a=1&lastEventId=7',
      { lastEventId: '7', resuming: true },
    ],
    [
      'the query parameter when the header is empty',
      '',
      '/e?lastEventId=7',
      { lastEventId: '7', resuming: true },
    ],
    [
      'the header over the query parameter',
      '3',
      '/e?lastEventId=7',
      { lastEventId: '3', resuming: true },
    ],
    ['a malformed header over a valid query parameter', 'a\nb', '/e?lastEventId=7', garbage],
    [
      'a percent-encoded id',
      undefined,
      '/e?lastEventId=1-2-abc%3Ad',
      { lastEventId: '1-2-abc:d', resuming: true },
    ],
    ['neither', undefined, '/e?other=1', fresh],
    ['no query', undefined, '/e', fresh],
    ['an empty query parameter', undefined, '/e?lastEventId=', fresh],
    ['a query id with LF', undefined, '/e?lastEventId=a%0Ab', garbage],
    ['a query id with NUL', undefined, '/e?lastEventId=a%00', garbage],
    ['a query id over 1 KiB', undefined, `/e?lastEventId=${'x'.repeat(1025)}`, garbage],
    ['a repeated query parameter', undefined, '/e?lastEventId=1&lastEventId=2', garbage],
  ])('reads %s', (_name, header, url, expected) => {
    expect(readResumePoint(header, url, 'lastEventId')).toEqual(expected);
  });

  it('reads the parameter it is told to, and none when told false', () => {
    expect(readResumePoint(undefined, '/e?since=7&lastEventId=3', 'since')).toEqual({
      lastEventId: '7',
      resuming: true,
    });
    expect(readResumePoint(undefined, '/e?lastEventId=3', false)).toEqual(fresh);
    expect(readResumePoint('5', '/e?lastEventId=3', false)).toEqual({
      lastEventId: '5',
      resuming: true,
    });
  });
});
