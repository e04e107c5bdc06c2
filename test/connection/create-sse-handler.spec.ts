import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import {
  SseConnection,
  createBroadcaster,
  createSseHandler,
  type OnSseConnect,
  type OnSseDisconnect,
  type SseDisconnectReason,
  type SseHandler,
  type SseLogger,
} from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { waitUntil } from '../helpers/wait.js';

class Ticker implements OnSseConnect, OnSseDisconnect {
  readonly connections: SseConnection[] = [];
  readonly reasons: SseDisconnectReason[] = [];
  async onConnect(sse: SseConnection) {
    this.connections.push(sse);
    await sse.sendEvent({
      event: 'hello',
      id: '1',
      data: { last: sse.lastEventId, room: sse.request.params.room },
    });
  }
  onDisconnect(_sse: SseConnection, reason: SseDisconnectReason) {
    this.reasons.push(reason);
  }
}

const silent: SseLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function listen(handler: SseHandler): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('createSseHandler on bare node:http', () => {
  it('runs the whole lifecycle without Nest', async () => {
    const ticker = new Ticker();
    const handler = createSseHandler(ticker, {
      keepalive: 0.05,
      retry: 20,
      logger: silent,
      params: (req) => ({ room: new URL(req.url!, 'http://x').searchParams.get('room') ?? '' }),
    });
    const { server, url } = await listen(handler);
    const source = new EventSource(`${url}/?room=blue`);
    const seen: string[] = [];
    source.addEventListener('hello', (e) => seen.push(e.data));
    await waitUntil(() => seen.length === 1, 'hello');
    expect(JSON.parse(seen[0])).toEqual({ last: null, room: 'blue' });
    ticker.connections[0].close();
    await waitUntil(() => seen.length === 2, 'the reconnection');
    expect(JSON.parse(seen[1])).toEqual({ last: '1', room: 'blue' });
    source.close();

    const raw = await RawSseClient.open(url);
    await raw.waitFor((c) => c.comments.length >= 2, 2000, 'keepalives');
    expect(raw.raw.startsWith('retry: 20\n\nevent: hello\nid: 1\n')).toBe(true);
    handler.close();
    await raw.waitForEnd();
    await waitUntil(() => handler.connections.size === 0, 'all closed');
    expect(ticker.reasons).toContain('server');
    expect(ticker.reasons).toContain('shutdown');
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers 403 when authorize refuses, before any stream', async () => {
    const endpoint = {
      authorize: (sse: SseConnection) => sse.request.query.key === 'open',
      onConnect: jest.fn(),
    };
    const handler = createSseHandler(endpoint, { logger: silent });
    const { server, url } = await listen(handler);
    const refused = await RawSseClient.open(`${url}/?key=nope`);
    await refused.waitForEnd();
    expect(refused.status).toBe(403);
    expect(endpoint.onConnect).not.toHaveBeenCalled();
    const allowed = await RawSseClient.open(`${url}/?key=open`);
    expect(allowed.status).toBe(200);
    allowed.close();
    handler.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('broadcasts through createBroadcaster, encoded once, skipping `except`', async () => {
    const broadcaster = await createBroadcaster({ logger: silent });
    const endpoint = { onConnect: (sse: SseConnection) => sse.join('news') };
    const handler = createSseHandler(endpoint, {
      channels: broadcaster.channels,
      path: '/feed',
      logger: silent,
    });
    const { server, url } = await listen(handler);
    const clients = await Promise.all([1, 2, 3].map(() => RawSseClient.open(url)));
    await waitUntil(() => broadcaster.broadcast.localCount('news') === 3, 'three members');
    expect(broadcaster.broadcast.localCount('/feed')).toBe(3);
    const [first] = handler.connections.connections();
    await broadcaster.broadcast.publish('news', { event: 'n', data: 'hi' }, { except: first });
    await Promise.all(
      clients.map((c) => c.waitFor((x) => x.events.length === 1 || x === clients[0], 2000)),
    );
    expect(clients.map((c) => c.events.length).sort()).toEqual([0, 1, 1]);
    handler.close();
    await waitUntil(() => broadcaster.broadcast.localCount('news') === 0, 'channel emptied');
    await broadcaster.close();
    await new Promise((resolve) => server.close(resolve));
  });
});
