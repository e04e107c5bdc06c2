import { OutgoingFrame, type ChannelMember } from '../../src/connection/index.js';
import { ResumeState } from '../../src/connection/resume-state.js';
import { ChannelHub } from '../../src/broadcast/channel-hub.js';
import type { HistoryQuery } from '../../src/broadcast/history/history-options.js';
import type {
  SseTransport,
  TransportEvents,
  TransportSink,
} from '../../src/broadcast/sse-transport.js';

/** A live member (no `Last-Event-ID`) that records the ids of what it is sent. */
class FakeMember implements ChannelMember {
  readonly closed = false;
  readonly resume: ResumeState;
  readonly received: string[] = [];
  constructor(
    readonly id = 'member',
    readonly lastEventId: string | null = null,
  ) {
    this.resume = new ResumeState(lastEventId !== null);
  }
  deliver(frame: OutgoingFrame): void {
    this.received.push(/^id: (\S+)/.exec(frame.bytes.toString())?.[1] ?? '?');
  }
  deliverPosition(): void {}
  terminate(): void {}
}

/** A transport the test drives: it delivers, breaks and resubscribes when told. */
class FakeTransport implements SseTransport {
  sink!: TransportSink;
  events!: TransportEvents;
  /** What Redis stored; `history()` answers with what is after the id asked for. */
  stored: string[] = [];
  history = async (_channel: string, since: string): Promise<HistoryQuery> => ({
    events: this.stored
      .filter((id) => Number(id.split('-')[1]) > Number(since.split('-')[1]))
      .map((id) => ({ id, frame: Buffer.from(`id: ${id}\ndata: x\n\n`) })),
    gap: false,
  });
  readonly state = 'up' as const;
  async start(sink: TransportSink, _logger: unknown, events?: TransportEvents) {
    this.sink = sink;
    this.events = events!;
  }
  async publish() {
    return undefined;
  }
  async subscribe() {}
  async unsubscribe() {}
  keepsHistory() {
    return true;
  }
  async barrier() {}
  async close() {}
  deliver(id: string) {
    if (!this.stored.includes(id)) this.stored.push(id);
    this.sink('feed', Buffer.from(`id: ${id}\ndata: x\n\n`), undefined, id);
  }
}

/**
 * History over two id counters: channel `a` is counter 0 and `b` counter 1 (ids `<k>:<ms>-<seq>-<epoch>`,
 * each counter its own sequence). Records the ids the catch-up reads after.
 */
class CountersTransport extends FakeTransport {
  readonly asked: [string, string][] = [];
  private readonly byChannel = new Map<string, string[]>();
  historyCounterOf(channel: string): number {
    return channel === 'a' ? 0 : 1;
  }
  history = async (channel: string, since: string): Promise<HistoryQuery> => {
    this.asked.push([channel, since]);
    const seq = (id: string) => Number(id.split('-')[1]);
    return {
      events: (this.byChannel.get(channel) ?? [])
        .filter((id) => seq(id) > seq(since))
        .map((id) => ({ id, frame: Buffer.from(`id: ${id}\ndata: x\n\n`) })),
      gap: false,
    };
  };
  store(channel: string, id: string) {
    const ids = this.byChannel.get(channel) ?? [];
    if (!ids.includes(id)) this.byChannel.set(channel, [...ids, id]);
  }
  deliverOn(channel: string, id: string) {
    this.store(channel, id);
    this.sink(channel, Buffer.from(`id: ${id}\ndata: x\n\n`), undefined, id);
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function hubWithMember() {
  const transport = new FakeTransport();
  const hub = new ChannelHub(transport, quiet);
  await hub.start();
  const member = new FakeMember();
  await hub.join(member, 'feed');
  return { transport, hub, member };
}

describe('ChannelHub: live delivery after the transport resubscribed', () => {
  it('resumes when nothing had been received before the break (no id to catch up from)', async () => {
    const { transport, hub, member } = await hubWithMember();
    transport.events.interrupted();
    transport.events.resubscribed(['feed']);
    await turn();
    transport.deliver('1-1-e1');
    expect(member.received).toEqual(['1-1-e1']);
    expect(hub.liveGaps).toBe(1); // what it may have missed is reported
  });

  it('resumes after a catch-up', async () => {
    const { transport, member } = await hubWithMember();
    transport.deliver('1-1-e1');
    transport.events.interrupted();
    transport.events.resubscribed(['feed']);
    await turn();
    transport.deliver('1-2-e2');
    expect(member.received).toEqual(['1-1-e1', '1-2-e2']);
  });

  it('a member that resumed while the channel was held gets nothing twice from the catch-up', async () => {
    const { transport, hub, member } = await hubWithMember();
    transport.deliver('1-1-e1');
    transport.events.interrupted();
    transport.stored.push('1-2-e1', '1-3-e1'); // published while this worker was not subscribed
    const resumed = new FakeMember('resumed', '1-1-e1');
    await hub.join(resumed, 'feed');
    await turn();
    expect(resumed.received).toEqual(['1-2-e1', '1-3-e1']);
    transport.deliver('1-4-e1'); // held: the worker is catching up
    const joined = new FakeMember('fresh');
    await hub.join(joined, 'feed');
    transport.deliver('1-5-e1');
    transport.events.resubscribed(['feed']);
    await turn();
    transport.deliver('1-6-e1');
    expect(member.received).toEqual(['1-1-e1', '1-2-e1', '1-3-e1', '1-4-e1', '1-5-e1', '1-6-e1']);
    expect(resumed.received).toEqual(['1-2-e1', '1-3-e1', '1-4-e1', '1-5-e1', '1-6-e1']);
    expect(joined.received).toEqual(['1-5-e1', '1-6-e1']);
  });
});

describe('ChannelHub: the catch-up over several id counters', () => {
  async function hubOnCounters() {
    const transport = new CountersTransport();
    const hub = new ChannelHub(transport, quiet);
    await hub.start();
    const onA = new FakeMember('on-a');
    const onB = new FakeMember('on-b');
    await hub.join(onA, 'a');
    await hub.join(onB, 'b');
    return { transport, hub, onA, onB };
  }

  it('reads each channel after the last id of its own counter the worker received', async () => {
    const { transport, hub, onA, onB } = await hubOnCounters();
    transport.deliverOn('a', '0:1-7-e0');
    transport.deliverOn('b', '1:1-2-e1');
    transport.events.interrupted();
    transport.store('a', '0:1-8-e0'); // published while this worker was not subscribed
    transport.store('b', '1:1-3-e1');
    transport.events.resubscribed(['a', 'b']);
    await turn();
    expect(transport.asked).toEqual([
      ['a', '0:1-7-e0'],
      ['b', '1:1-2-e1'],
    ]);
    expect(onA.received).toEqual(['0:1-7-e0', '0:1-8-e0']);
    expect(onB.received).toEqual(['1:1-2-e1', '1:1-3-e1']);
    expect(hub.liveGaps).toBe(0);
  });

  it('releases a counter it had received nothing of (a gap for its channels only), catches up the others', async () => {
    const { transport, hub, onA, onB } = await hubOnCounters();
    transport.deliverOn('a', '0:1-7-e0');
    transport.events.interrupted();
    transport.store('a', '0:1-8-e0');
    transport.events.resubscribed(['a', 'b']);
    await turn();
    transport.deliverOn('b', '1:1-1-e1');
    transport.deliverOn('a', '0:1-9-e0');
    expect(transport.asked).toEqual([['a', '0:1-7-e0']]);
    expect(onA.received).toEqual(['0:1-7-e0', '0:1-8-e0', '0:1-9-e0']);
    expect(onB.received).toEqual(['1:1-1-e1']); // not held for good
    expect(hub.liveGaps).toBe(1); // the member of `b`: nothing tells where its counter starts
  });

  it("members joining while held get what is after the last id of their channel's counter", async () => {
    const { transport, hub, onB } = await hubOnCounters();
    transport.deliverOn('b', '1:1-2-e1');
    transport.deliverOn('a', '0:1-9-e0'); // the newest id received overall is of another counter
    transport.events.interrupted();
    const early = new FakeMember('early');
    await hub.join(early, 'b'); // joined after 1:1-2-e1: what was missed from there on is its
    transport.store('b', '1:1-3-e1'); // missed during the break
    transport.deliverOn('b', '1:1-4-e1'); // held
    const fresh = new FakeMember('fresh');
    await hub.join(fresh, 'b');
    transport.deliverOn('b', '1:1-5-e1'); // held, after it joined
    transport.events.resubscribed(['a', 'b']);
    await turn();
    transport.deliverOn('b', '1:1-6-e1');
    expect(onB.received).toEqual(['1:1-2-e1', '1:1-3-e1', '1:1-4-e1', '1:1-5-e1', '1:1-6-e1']);
    expect(early.received).toEqual(['1:1-3-e1', '1:1-4-e1', '1:1-5-e1', '1:1-6-e1']);
    expect(fresh.received).toEqual(['1:1-5-e1', '1:1-6-e1']);
  });
});
