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
