import { isSseEventShaped, pipedEvent } from '../../src/connection/pipe/piped-event.js';

class Token {
  data = 'a class instance is an item';
}

describe('isSseEventShaped: which items sse.pipe sends as they are', () => {
  it.each([
    ['{ data }', { data: 'hi' }, true],
    ['{ data, event, id, retry }', { data: 1, event: 'e', id: '7', retry: 10 }, true],
    ['{ data: undefined } (own data, even undefined)', { data: undefined }, true],
    ['a null-prototype object with data', Object.assign(Object.create(null), { data: 'x' }), true],
    ['{ id } without data', { id: 7 }, false],
    ['{ event } without data', { event: 'e' }, false],
    ['{ data, name } (another key)', { data: 'x', name: 'n' }, false],
    ['{ id, text } (a record)', { id: 1, text: 'hello' }, false],
    ['a class instance with data', new Token(), false],
    ['an array', ['data'], false],
    ['a string', 'data', false],
    ['null', null, false],
    ['a number', 3, false],
  ])('%s → %s', (_, item, shaped) => {
    expect(isSseEventShaped(item)).toBe(shaped);
  });
});

describe('pipedEvent: the event sent for an item', () => {
  const upper = (item: unknown) => ({ data: String(item).toUpperCase() });
  it.each([
    ['a string', 'tok', undefined, { data: 'tok' }],
    ['a string with options.event', 'tok', { event: 'token' }, { data: 'tok', event: 'token' }],
    ['a record (JSON data)', { id: 1, text: 'x' }, undefined, { data: { id: 1, text: 'x' } }],
    [
      'a shaped item',
      { data: 'x', id: '3' },
      { event: 'token' },
      { data: 'x', id: '3', event: 'token' },
    ],
    [
      'a shaped item naming its event',
      { data: 'x', event: 'own' },
      { event: 'token' },
      { data: 'x', event: 'own' },
    ],
    ['map', 'tok', { map: upper }, { data: 'TOK' }],
    [
      'map with options.event',
      'tok',
      { map: upper, event: 'token' },
      { data: 'TOK', event: 'token' },
    ],
    [
      'map over a shaped item',
      { data: 'x' },
      { map: (i: unknown) => ({ data: i }) },
      { data: { data: 'x' } },
    ],
  ])('%s', (_, item, options, event) => {
    expect(pipedEvent(item, options as never)).toEqual(event);
  });

  it('a map that returns no object is a TypeError', () => {
    expect(() => pipedEvent('x', { map: () => 'x' as never })).toThrow(TypeError);
  });
});
