import { mergeReplay, type ReplayItem } from '../../src/broadcast/history/merge-replay.js';

/** Ids of epoch `e` unless given one (`'1-2-f'`); the frame defaults to the id as written. */
const item = (id: string | undefined, frame = id ?? 'live'): ReplayItem<string> => ({
  id: id && /^\d+-\d+$/.test(id) ? `${id}-e` : id,
  frame,
});

describe('mergeReplay: what a resuming connection is sent', () => {
  it.each<[string, ReplayItem<string>[], ReplayItem<string>[], string[]]>([
    ['nothing missed, nothing held', [], [], []],
    ['one channel, in order', [item('1-1'), item('1-2')], [], ['1-1', '1-2']],
    [
      'two channels read one after the other are interleaved by id',
      [item('1-2'), item('1-5'), item('1-3'), item('1-4')],
      [],
      ['1-2', '1-3', '1-4', '1-5'],
    ],
    [
      'held live frames already in the history are written once',
      [item('1-1'), item('1-2')],
      [item('1-2'), item('1-3')],
      ['1-1', '1-2', '1-3'],
    ],
    [
      'a held frame of one channel older than the history of another goes before it',
      [item('1-7', 'a7')],
      [item('1-6', 'b6'), item('1-8', 'b8')],
      ['b6', 'a7', 'b8'],
    ],
    [
      'ids compare by sequence first (the clock may step back), then time',
      [item('2000-3'), item('1000-4')],
      [],
      ['2000-3', '1000-4'],
    ],
    [
      'live-only frames (no id) follow the replay in arrival order',
      [item('1-1')],
      [item(undefined, 'x'), item('1-2'), item(undefined, 'y')],
      ['1-1', '1-2', 'x', 'y'],
    ],
    [
      'an id that is not ours is treated as live-only',
      [],
      [item('nope', 'n'), item('1-1')],
      ['1-1', 'n'],
    ],
    [
      'trimmed history: only what was kept and what was held',
      [item('1-9')],
      [item('1-10')],
      ['1-9', '1-10'],
    ],
    [
      'ids of another epoch (the store lost its counter) are not interleaved: each epoch in order',
      [item('5-7'), item('5-6')],
      [item('9-2-f'), item('9-1-f'), item('5-8')],
      ['5-6', '5-7', '5-8', '9-1-f', '9-2-f'],
    ],
  ])('%s', (_, history, held, expected) => {
    expect(mergeReplay(history, held)).toEqual(expected);
  });
});
