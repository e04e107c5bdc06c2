import { SseCounters } from '../../src/connection/sse-counters.js';
import { WriteBudget, type WriteLimits } from '../../src/connection/write-budget.js';
import type { ResponseWriter } from '../../src/connection/writers/response-writer.js';
import { FakeWriter } from '../helpers/fake-writer.js';

const tickEnd = () => new Promise<void>((resolve) => process.nextTick(resolve));

function budgetOn(limits: WriteLimits, writer = new FakeWriter()) {
  const overflows: number[] = [];
  const counters = new SseCounters();
  const budget = new WriteBudget(writer as ResponseWriter, limits, counters, (pending) =>
    overflows.push(pending),
  );
  return { budget, writer, overflows, counters };
}

describe('WriteBudget: tick batching and the byte bound', () => {
  it('corks on the first write of a tick only, and uncorks once at its end', async () => {
    const { budget, writer, counters } = budgetOn({ maxBufferedBytes: 100, slowConsumer: 'close' });
    budget.charge(10);
    budget.charge(20);
    expect(writer.corks).toBe(1);
    expect(writer.uncorks).toBe(0);
    await tickEnd();
    expect(writer.uncorks).toBe(1);
    expect(counters.bytesWritten).toBe(30);
    budget.charge(5);
    expect(writer.corks).toBe(2);
  });

  type Step = ['tick' | 'check', number]; // a tick's end, or the shared timer's look, with the backlog then
  const close: WriteLimits = { maxBufferedBytes: 100, slowConsumer: 'close' };
  const drop: WriteLimits = { maxBufferedBytes: 100, slowConsumer: 'drop' };

  it.each<[string, WriteLimits, Step[], boolean, number[]]>([
    // name, limits, steps, broadcasts admitted at the end, overflows
    [
      'under the bound: nothing happens',
      close,
      [
        ['tick', 50],
        ['tick', 100],
        ['check', 100],
      ],
      true,
      [],
    ],
    [
      'over the bound, then drained below it: not slow',
      close,
      [
        ['tick', 500],
        ['check', 80],
      ],
      true,
      [],
    ],
    [
      'over the bound and shrinking at each look: not slow (a large event being read)',
      close,
      [
        ['tick', 500],
        ['check', 400],
        ['check', 300],
      ],
      true,
      [],
    ],
    [
      'over the bound and not shrinking by the next look: closed',
      close,
      [
        ['tick', 150],
        ['check', 150],
      ],
      true,
      [150],
    ],
    [
      'over the bound and growing by another bound: closed at once',
      close,
      [
        ['tick', 150],
        ['tick', 251],
      ],
      true,
      [251],
    ],
    [
      'drop: broadcasts skipped once slow',
      drop,
      [
        ['tick', 150],
        ['check', 160],
      ],
      false,
      [],
    ],
    [
      'drop: still skipped above half the bound',
      drop,
      [
        ['tick', 150],
        ['check', 160],
        ['tick', 60],
      ],
      false,
      [],
    ],
    [
      'drop: admitted again at half the bound',
      drop,
      [
        ['tick', 150],
        ['check', 160],
        ['tick', 50],
      ],
      true,
      [],
    ],
  ])('%s', async (_, limits, steps, admitsAtEnd, overflows) => {
    const run = budgetOn(limits);
    for (const [kind, pending] of steps) {
      run.writer.pendingBytes = pending;
      if (kind === 'check') {
        run.budget.checkBacklog();
        continue;
      }
      run.budget.charge(1);
      await tickEnd();
    }
    expect(!run.budget.dropping || run.budget.drained()).toBe(admitsAtEnd);
    expect(run.overflows).toEqual(overflows);
  });
});
