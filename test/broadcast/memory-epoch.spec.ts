import { MemoryHistory } from '../../src/broadcast/memory/memory-history.js';

/** The memory store's ids are of an epoch of its own (one per process): another's are a gap. */
describe('memory history epochs', () => {
  const body = (text: string) => Buffer.from(`data: ${text}\n\n`);

  it('an id of another process (or of before a restart) gives a gap and nothing replayed, whatever its seq', () => {
    const before = new MemoryHistory({ size: 100 });
    const ids = Array.from({ length: 20 }, (_, i) => before.append('feed', body(`a${i}`)).id);
    const restarted = new MemoryHistory({ size: 100 });
    for (let i = 0; i < 30; i++) restarted.append('feed', body(`b${i}`));
    for (const since of [ids[0], ids[5], ids[19]]) {
      expect(restarted.query('feed', since)).toEqual({ events: [], gap: true });
    }
    expect(ids[0].split('-')[2]).not.toBe(restarted.append('feed', body('c')).id.split('-')[2]);
  });

  it('resumes exactly within its epoch; a ring trimmed past the id is a gap', () => {
    const store = new MemoryHistory({ size: 5 });
    const ids = Array.from({ length: 10 }, (_, i) => store.append('feed', body(`e${i}`)).id);
    store.append('other', body('x'));
    expect(store.query('feed', ids[6])).toMatchObject({ gap: false });
    expect(store.query('feed', ids[6]).events.map((e) => e.id)).toEqual(ids.slice(7));
    expect(store.query('feed', ids[9])).toEqual({ events: [], gap: false });
    expect(store.query('feed', ids[3]).gap).toBe(true);
    expect(store.query('feed', ids[4]).gap).toBe(false); // the first kept follows it
    expect(store.query('new', ids[2])).toEqual({ events: [], gap: false }); // nothing published there
  });
});
