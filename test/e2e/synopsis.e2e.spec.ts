import { Injectable, Module } from '@nestjs/common';
import { EventSource } from 'eventsource';
import {
  SseEndpoint,
  SseModule,
  type OnSseConnect,
  type OnSseDisconnect,
  type SseConnection,
  type SseDisconnectReason,
} from '../../src/index.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { waitUntil } from '../helpers/wait.js';

/** The seed's `subscribe`/`unsubscribe`: an app-side registry of listeners per user. */
@Injectable()
class Subscriptions {
  readonly listeners = new Map<string, Set<(event: { id: string; data: unknown }) => void>>();

  subscribe(userId: string, listener: (event: { id: string; data: unknown }) => void): void {
    if (!this.listeners.has(userId)) this.listeners.set(userId, new Set());
    this.listeners.get(userId)!.add(listener);
  }

  unsubscribe(userId: string, listener: (event: { id: string; data: unknown }) => void): void {
    this.listeners.get(userId)?.delete(listener);
    if (this.listeners.get(userId)?.size === 0) this.listeners.delete(userId);
  }

  notify(userId: string, event: { id: string; data: unknown }): void {
    for (const listener of this.listeners.get(userId) ?? []) listener(event);
  }
}

@SseEndpoint('/notifications', { keepalive: 30, retry: 50 })
class Notifications implements OnSseConnect, OnSseDisconnect {
  readonly connections: SseConnection[] = [];
  readonly disconnects: { id: string; reason: SseDisconnectReason }[] = [];

  constructor(private readonly subscriptions: Subscriptions) {}

  async onConnect(sse: SseConnection): Promise<void> {
    const userId = String(sse.request.query.user);
    sse.stash.userId = userId;
    this.connections.push(sse);
    await sse.sendEvent({ event: 'connected', data: { user_id: userId } });
    if (sse.lastEventId) await sse.sendEvent({ event: 'missed', data: { since: sse.lastEventId } });
    const listener = (event: { id: string; data: unknown }) => sse.trySendEvent(event);
    sse.stash.listener = listener;
    this.subscriptions.subscribe(userId, listener);
  }

  onDisconnect(sse: SseConnection, reason: SseDisconnectReason): void {
    this.disconnects.push({ id: sse.id, reason });
    this.subscriptions.unsubscribe(sse.stash.userId as string, sse.stash.listener as never);
  }
}

@Module({ imports: [SseModule.forRoot()], providers: [Subscriptions, Notifications] })
class SynopsisModule {}

describe.each(PLATFORMS)('the seed SYNOPSIS on %s', (platform) => {
  let server: TestApp;
  let endpoint: Notifications;
  let subscriptions: Subscriptions;

  beforeEach(async () => {
    server = await startApp(SynopsisModule, platform);
    endpoint = server.app.get(Notifications);
    subscriptions = server.app.get(Subscriptions);
  });
  afterEach(() => server.close());

  it('with the eventsource client: welcome, notifications, reconnect with Last-Event-ID, onDisconnect once', async () => {
    const source = new EventSource(`${server.url}/notifications?user=alice`);
    const received: { type: string; data: string; lastEventId: string }[] = [];
    for (const type of ['connected', 'missed', 'message']) {
      source.addEventListener(type, (e) =>
        received.push({ type, data: e.data, lastEventId: e.lastEventId }),
      );
    }
    try {
      await waitUntil(() => received.length === 1, 'the welcome event');
      expect(received[0]).toMatchObject({ type: 'connected', data: '{"user_id":"alice"}' });
      expect(subscriptions.listeners.get('alice')?.size).toBe(1);

      subscriptions.notify('alice', { id: '7', data: { text: 'hello' } });
      await waitUntil(() => received.length === 2, 'a notification');
      expect(received[1]).toEqual({ type: 'message', data: '{"text":"hello"}', lastEventId: '7' });

      // The server ends the stream; the client reconnects by itself with Last-Event-ID: 7.
      endpoint.connections[0].close();
      await waitUntil(() => received.length === 4, 'the reconnection');
      expect(received[2]).toMatchObject({ type: 'connected' });
      expect(received[3]).toMatchObject({ type: 'missed', data: '{"since":"7"}' });
      expect(endpoint.connections[1].lastEventId).toBe('7');
      expect(endpoint.disconnects).toEqual([{ id: endpoint.connections[0].id, reason: 'server' }]);
      expect(subscriptions.listeners.get('alice')?.size).toBe(1);
    } finally {
      source.close();
    }
    await waitUntil(() => endpoint.disconnects.length === 2, 'the second onDisconnect');
    expect(endpoint.disconnects[1]).toEqual({ id: endpoint.connections[1].id, reason: 'client' });
    expect(subscriptions.listeners.has('alice')).toBe(false);
  });

  it('with a raw socket: exact bytes, headers, and one onDisconnect when the client leaves', async () => {
    const client = await RawSseClient.open(`${server.url}/notifications?user=bob`, {
      'Last-Event-ID': '41',
      Connection: 'keep-alive', // as browsers send it (Node's agent-less client asks for close)
    });
    await client.waitForEvents(2);
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.headers['cache-control']).toBe('no-cache, no-transform');
    expect(client.headers['x-accel-buffering']).toBe('no');
    expect(client.headers['connection']).toBe('keep-alive');
    expect(client.raw).toBe(
      'retry: 50\n\nevent: connected\ndata: {"user_id":"bob"}\n\nevent: missed\ndata: {"since":"41"}\n\n',
    );
    subscriptions.notify('bob', { id: '42', data: 'line one\nline two' });
    await client.waitForEvents(3);
    expect(client.raw.endsWith('id: 42\ndata: line one\ndata: line two\n\n')).toBe(true);

    client.close();
    await waitUntil(() => endpoint.disconnects.length === 1, 'onDisconnect');
    expect(endpoint.disconnects).toEqual([{ id: endpoint.connections[0].id, reason: 'client' }]);
    expect(endpoint.connections[0].closed).toBe(true);
    expect(subscriptions.listeners.has('bob')).toBe(false);
  });

  it('calls onDisconnect once per connection on app shutdown', async () => {
    const clients = await Promise.all(
      [1, 2, 3].map((i) => RawSseClient.open(`${server.url}/notifications?user=u${i}`)),
    );
    await Promise.all(clients.map((c) => c.waitForEvents(1)));
    await server.app.close();
    await Promise.all(clients.map((c) => c.waitForEnd()));
    expect(endpoint.disconnects.map((d) => d.reason)).toEqual(['shutdown', 'shutdown', 'shutdown']);
    server.close = async () => undefined;
  });
});
