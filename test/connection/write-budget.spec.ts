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

  it.each<[string, WriteLimits, number[], boolean[], number[]]>([
    // name, limits, pending bytes after each tick, admits() after each tick, overflows
    [
      'under the bound: nothing happens',
      { maxBufferedBytes: 100, slowConsumer: 'close' },
      [50, 100],
      [true, true],
      [],
    ],
    [
      'over the bound with close: overflow with the backlog',
      { maxBufferedBytes: 100, slowConsumer: 'close' },
      [101],
      [true],
      [101],
    ],
    [
      'over the bound with drop: broadcasts skipped',
      { maxBufferedBytes: 100, slowConsumer: 'drop' },
      [150],
      [false],
      [],
    ],
    [
      'drop: still skipped above half the bound',
      { maxBufferedBytes: 100, slowConsumer: 'drop' },
      [150, 60],
      [false, false],
      [],
    ],
    [
      'drop: admitted again at half the bound',
      { maxBufferedBytes: 100, slowConsumer: 'drop' },
      [150, 50],
      [false, true],
      [],
    ],
  ])('%s', async (_, limits, pendingPerTick, admitted, overflows) => {
    const run = budgetOn(limits);
    const seen: boolean[] = [];
    for (const pending of pendingPerTick) {
      run.budget.charge(1);
      run.writer.pendingBytes = pending;
      await tickEnd();
      seen.push(run.budget.admits());
    }
    expect(seen).toEqual(admitted);
    expect(run.overflows).toEqual(overflows);
  });
});
