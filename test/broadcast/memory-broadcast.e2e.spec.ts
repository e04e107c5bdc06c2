import { Controller, Module, Post } from '@nestjs/common';
import {
  BroadcastService,
  SseEndpoint,
  SseModule,
  type OnSseConnect,
  type SseConnection,
} from '../../src/index.js';
import { SseRuntime } from '../../src/nest/index.js';
import type { OutgoingFrame } from '../../src/connection/index.js';
import { Http1ResponseWriter } from '../../src/connection/writers/http1-response-writer.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { waitUntil } from '../helpers/wait.js';

/** Records the frame objects written to sockets, to show that a broadcast is encoded once. */
const RecordingConnection = { frames: [] as OutgoingFrame[] };
const writeFrame = Http1ResponseWriter.prototype.writeFrame;
Http1ResponseWriter.prototype.writeFrame = function (frame: OutgoingFrame): void {
  RecordingConnection.frames.push(frame);
  writeFrame.call(this, frame);
};

@SseEndpoint('/chat/:room')
class ChatEndpoint implements OnSseConnect {
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.join(`room:${sse.request.params.room}`);
    await sse.sendEvent({ event: 'ready', data: sse.id });
  }
}

@SseEndpoint('/ticker')
class TickerEndpoint {}

@Controller()
class PublishingController {
  constructor(readonly broadcast: BroadcastService) {}
  @Post('tick')
  tick() {
    return this.broadcast.toEndpoint(TickerEndpoint, { event: 'tick', data: { n: 1 } });
  }
}

@Module({
  imports: [SseModule.forRoot()],
  controllers: [PublishingController],
  providers: [ChatEndpoint, TickerEndpoint],
})
class ChatModule {}

describe.each(PLATFORMS)('broadcast on the memory transport (%s)', (platform) => {
  let server: TestApp;
  let broadcast: BroadcastService;

  beforeEach(async () => {
    server = await startApp(ChatModule, platform);
    broadcast = server.app.get(BroadcastService);
    RecordingConnection.frames = [];
  });
  afterEach(() => server.close());

  it('encodes a publish once and writes the same bytes to every member, skipping `except`', async () => {
    const clients = await Promise.all(
      [1, 2, 3, 4].map(() => RawSseClient.open(`${server.url}/chat/blue`)),
    );
    const other = await RawSseClient.open(`${server.url}/chat/red`);
    await Promise.all([...clients, other].map((c) => c.waitForEvents(1)));
    const sender = clients[0].events[0].data;
    expect(broadcast.localCount('room:blue')).toBe(4);
    expect(broadcast.localCount('/chat/:room')).toBe(5);
    expect(broadcast.localCount()).toBe(5);

    await broadcast.publish(
      'room:blue',
      { event: 'msg', data: { text: 'hi\nthere' }, id: '9' },
      { except: [sender] },
    );
    await Promise.all(clients.slice(1).map((c) => c.waitForEvents(2)));
    expect(RecordingConnection.frames).toHaveLength(3);
    expect(new Set(RecordingConnection.frames).size).toBe(1);
    for (const client of clients.slice(1)) {
      expect(client.raw.endsWith('event: msg\nid: 9\ndata: {"text":"hi\\nthere"}\n\n')).toBe(true);
    }
    expect(clients[0].events).toHaveLength(1);
    expect(other.events).toHaveLength(1);

    await broadcast.publish('/chat/:room', 'everyone');
    await Promise.all(
      [...clients, other].map((c) => c.waitFor((x) => x.events.some((e) => e.data === 'everyone'))),
    );
    [...clients, other].forEach((c) => c.close());
    await waitUntil(() => broadcast.localCount() === 0, 'all gone');
    expect(server.app.get(SseRuntime).channels.channelNames()).toEqual([]);
  });

  it('publishes to an endpoint by class from a controller, and treats other objects as data', async () => {
    const client = await RawSseClient.open(`${server.url}/ticker`);
    await waitUntil(() => broadcast.localCount('/ticker') === 1, 'the member');
    const response = await fetch(`${server.url}/tick`, { method: 'POST' });
    expect(response.status).toBe(201);
    await client.waitForEvents(1);
    expect(client.events[0]).toMatchObject({ event: 'tick', data: '{"n":1}' });
    await broadcast.publish('/ticker', { data: 1, extra: true });
    await client.waitForEvents(2);
    expect(JSON.parse(client.events[1].data)).toEqual({ data: 1, extra: true });
    client.close();
  });

  it('globalCount() is the local count on memory, following joins and leaves', async () => {
    expect(await broadcast.globalCount('room:green')).toBe(0);
    expect(await broadcast.globalCount()).toBe(0);
    const clients = await Promise.all(
      [1, 2, 3].map(() => RawSseClient.open(`${server.url}/chat/green`)),
    );
    const other = await RawSseClient.open(`${server.url}/chat/red`);
    await Promise.all([...clients, other].map((c) => c.waitForEvents(1)));
    expect(await broadcast.globalCount('room:green')).toBe(3);
    expect(await broadcast.globalCount('room:red')).toBe(1);
    expect(await broadcast.globalCount()).toBe(4);
    clients[0].close();
    await waitUntil(() => broadcast.localCount('room:green') === 2, 'one left');
    expect(await broadcast.globalCount('room:green')).toBe(2);
    expect(await broadcast.globalCount()).toBe(3);
    [...clients, other].forEach((c) => c.close());
    await waitUntil(() => broadcast.localCount() === 0, 'all gone');
    expect(await broadcast.globalCount('room:green')).toBe(0);
    expect(await broadcast.globalCount()).toBe(0);
  });

  it('refuses invalid events and channels with TypeError', () => {
    expect(() => broadcast.globalCount('')).toThrow(TypeError);
    expect(() => broadcast.publish('x', { data: 1, event: 'a\nb' })).toThrow(TypeError);
    expect(() => broadcast.publish('x', { data: 1, id: 'a\0' })).toThrow(TypeError);
    expect(() => broadcast.publish('', 'x')).toThrow(TypeError);
    expect(() => broadcast.toEndpoint(class NotAnEndpoint {}, 'x')).toThrow(TypeError);
  });
});
