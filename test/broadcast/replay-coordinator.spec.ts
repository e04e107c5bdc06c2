import { OutgoingFrame, type ChannelMember } from '../../src/connection/index.js';
import { ResumeState } from '../../src/connection/resume-state.js';
import type { HistoryQuery } from '../../src/broadcast/history/history-options.js';
import type { ReplayBatch } from '../../src/broadcast/history/replay-batch.js';
import { ReplayCoordinator } from '../../src/broadcast/history/replay-coordinator.js';

/** A member that records the ids of what it is sent; no socket. */
class FakeMember implements ChannelMember {
  readonly id = 'member';
  readonly closed = false;
  readonly resume = new ResumeState(true);
  readonly received: string[] = [];
  constructor(readonly lastEventId: string | null = '1-0-e1') {}
  deliverPosition(): void {}
  terminate(): void {}
  deliver(frame: OutgoingFrame): void {
    this.received.push(/^id: (\S+)/.exec(frame.bytes.toString())?.[1] ?? frame.bytes.toString());
  }
}

const frame = (id: string) => ({ id, frame: Buffer.from(`id: ${id}\ndata: x\n\n`) });
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** History per channel; reads resolve when the test says so, or at once. */
function source(history: Record<string, string[]>, failing: string[] = []) {
  return {
    history: async (channel: string): Promise<HistoryQuery> => {
      if (failing.includes(channel)) throw new Error('read timed out');
      return { events: (history[channel] ?? []).map(frame), gap: false };
    },
    barrier: async () => undefined,
  };
}

function coordinatorOn(history: Record<string, string[]>, failing: string[] = []) {
  const holding = new Map<string, ReplayBatch>();
  const warnings: string[] = [];
  const coordinator = new ReplayCoordinator(
    source(history, failing),
    {
      hold: (channel, _member, batch) => holding.set(channel, batch),
      release: (channel) => holding.delete(channel),
    },
    { log: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
  );
  return { coordinator, holding, warnings };
}

describe('ReplayCoordinator: when a resuming member gets what it missed', () => {
  it('joins one after another while connecting replay as one stream, in id order', async () => {
    const { coordinator } = coordinatorOn({ a: ['1-2-e1', '1-5-e1'], b: ['1-3-e1', '1-4-e1'] });
    const member = new FakeMember();
    await coordinator.collect(member, 'a', Promise.resolve());
    await coordinator.collect(member, 'b', Promise.resolve());
    expect(member.received).toEqual([]); // still connecting, nothing in flight yet for a turn
    await turn();
    expect(member.received).toEqual(['1-2-e1', '1-3-e1', '1-4-e1', '1-5-e1']);
  });

  it('live frames held meanwhile are merged in, each id once', async () => {
    const { coordinator, holding } = coordinatorOn({ a: ['1-2-e1'], b: ['1-3-e1'] });
    const member = new FakeMember();
    const joining = coordinator.collect(member, 'a', Promise.resolve());
    holding.get('a')!.hold('a', new OutgoingFrame(frame('1-2-e1').frame), '1-2-e1'); // late echo
    holding.get('a')!.hold('a', new OutgoingFrame(frame('1-6-e1').frame), '1-6-e1'); // live
    await joining;
    await coordinator.collect(member, 'b', Promise.resolve());
    member.resume.endConnecting(); // onConnect returned
    expect(member.received).toEqual(['1-2-e1', '1-3-e1', '1-6-e1']);
    expect(holding.size).toBe(0);
  });

  it('the application writing flushes the replay first', async () => {
    const { coordinator } = coordinatorOn({ a: ['1-2-e1'] });
    const member = new FakeMember();
    await coordinator.collect(member, 'a', Promise.resolve());
    member.resume.flushPending(); // what a send() does before writing
    expect(member.received).toEqual(['1-2-e1']);
  });

  it('a join after connecting is written at once, on its own', async () => {
    const { coordinator } = coordinatorOn({ a: ['1-7-e1'] });
    const member = new FakeMember();
    member.resume.endConnecting();
    await coordinator.collect(member, 'a', Promise.resolve());
    expect(member.received).toEqual(['1-7-e1']);
  });

  it('a channel left before the replay is written contributes nothing', async () => {
    const { coordinator } = coordinatorOn({ a: ['1-2-e1'], b: ['1-3-e1'] });
    const member = new FakeMember();
    await coordinator.collect(member, 'a', Promise.resolve());
    await coordinator.collect(member, 'b', Promise.resolve());
    coordinator.drop(member, 'a');
    member.resume.endConnecting();
    expect(member.received).toEqual(['1-3-e1']);
  });

  it('a history read that fails reports a gap, with a warning, and the channel goes live', async () => {
    const { coordinator, warnings, holding } = coordinatorOn({}, ['a']);
    const member = new FakeMember();
    await coordinator.collect(member, 'a', Promise.resolve());
    member.resume.endConnecting();
    expect(member.resume.gap).toBe(true);
    expect(warnings.join()).toMatch(/Replaying channel "a" failed \(replayGap is true\)/);
    expect(holding.size).toBe(0);
  });

  it('no Last-Event-ID to resume from: a gap, nothing replayed', async () => {
    const { coordinator } = coordinatorOn({ a: ['1-2-e1'] });
    const member = new FakeMember(null);
    await coordinator.collect(member, 'a', Promise.resolve());
    member.resume.endConnecting();
    expect(member.received).toEqual([]);
    expect(member.resume.gap).toBe(true);
  });
});
