import { jest } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
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
    const clients = await Promise.all([1, 2, 3].map(() => RawSseClient.open(`${url}/feed`)));
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

  it('routes on `path`: 404 for another path, 405 with Allow: GET for another method', async () => {
    const endpoint = { onConnect: jest.fn() };
    const handler = createSseHandler(endpoint, { path: '/feed', logger: silent });
    const { server, url } = await listen(handler);
    const other = await RawSseClient.open(`${url}/elsewhere`);
    await other.waitForEnd();
    expect(other.status).toBe(404);
    const post = await plainRequest(`${url}/feed`, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
    expect(JSON.parse(post.body)).toEqual({ statusCode: 405, message: 'Method Not Allowed' });
    expect(endpoint.onConnect).not.toHaveBeenCalled();
    for (const path of ['/feed', '/feed/', '/feed?since=1']) {
      const stream = await RawSseClient.open(`${url}${path}`);
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      stream.close();
    }
    await waitUntil(() => endpoint.onConnect.mock.calls.length === 3, 'three streams');
    handler.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves `method`: a POST stream reads its own body from sse.request.raw; GET gets 405 with Allow: POST', async () => {
    const endpoint = {
      async onConnect(sse: SseConnection) {
        let body = '';
        for await (const chunk of sse.request.raw as AsyncIterable<Buffer>) body += chunk;
        await sse.sendEvent({
          event: sse.request.method,
          data: `${String(sse.request.body)} ${body}`,
        });
        sse.close();
      },
    };
    const handler = createSseHandler(endpoint, { path: '/chat', method: 'POST', logger: silent });
    const { server, url } = await listen(handler);
    const get = await plainRequest(`${url}/chat`, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const post = await fetch(`${url}/chat`, { method: 'POST', body: '{"prompt":"hi"}' });
    expect(post.status).toBe(200);
    expect(await post.text()).toBe('event: POST\ndata: undefined {"prompt":"hi"}\n\n');
    expect(() => createSseHandler(endpoint, { method: 'HEAD' as never })).toThrow(
      `createSseHandler: method "HEAD" is not one of 'GET', 'POST', 'PUT', 'PATCH', 'DELETE'`,
    );
    handler.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('matches `:param` segments of `path` and exposes them as sse.request.params', async () => {
    const seen: Record<string, string>[] = [];
    const endpoint = { onConnect: (sse: SseConnection) => void seen.push(sse.request.params) };
    const handler = createSseHandler(endpoint, { path: '/rooms/:room', logger: silent });
    const { server, url } = await listen(handler);
    const stream = await RawSseClient.open(`${url}/rooms/blue%20one`);
    expect(stream.status).toBe(200);
    await waitUntil(() => seen.length === 1, 'onConnect');
    expect(seen[0]).toEqual({ room: 'blue one' });
    for (const path of ['/rooms', '/rooms/', '/rooms/blue/more']) {
      const missed = await RawSseClient.open(`${url}${path}`);
      expect([path, missed.status]).toEqual([path, 404]);
      missed.close();
    }
    stream.close();
    handler.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('localCount() of its broadcaster counts the open streams', async () => {
    const broadcaster = await createBroadcaster({ logger: silent });
    const feed = createSseHandler(
      { onConnect: (sse: SseConnection) => sse.join('news') },
      { channels: broadcaster.channels, path: '/feed', logger: silent },
    );
    const other = createSseHandler(
      {},
      { channels: broadcaster.channels, path: '/other', logger: silent },
    );
    const servers = await Promise.all([listen(feed), listen(other)]);
    const clients = await Promise.all([
      RawSseClient.open(`${servers[0].url}/feed`),
      RawSseClient.open(`${servers[0].url}/feed`),
      RawSseClient.open(`${servers[1].url}/other`),
    ]);
    await waitUntil(() => broadcaster.broadcast.localCount('news') === 2, 'two members of news');
    await waitUntil(() => broadcaster.broadcast.localCount('/other') === 1, 'one on /other');
    expect(broadcaster.broadcast.localCount()).toBe(3);
    clients[0].close();
    await waitUntil(() => feed.connections.size === 1, 'one stream closed');
    expect(broadcaster.broadcast.localCount()).toBe(2);
    feed.close();
    other.close();
    await waitUntil(() => broadcaster.broadcast.localCount() === 0, 'all closed');
    await broadcaster.close();
    await Promise.all(servers.map(({ server }) => new Promise((r) => server.close(r))));
  });

  it('close() sends shutdownEvent, ends every stream with reason shutdown, as SseModule does', async () => {
    const ticker = new Ticker();
    const handler = createSseHandler(ticker, {
      logger: silent,
      shutdownEvent: { event: 'bye', data: 'reconnect elsewhere' },
    });
    const { server, url } = await listen(handler);
    const client = await RawSseClient.open(url);
    await client.waitForEvents(1);
    handler.close();
    await client.waitForEnd();
    expect(client.events.map((e) => e.event)).toEqual(['hello', 'bye']);
    expect(ticker.reasons).toEqual(['shutdown']);
    const refused = await RawSseClient.open(url);
    expect(refused.status).toBe(503);
    server.close();
  });
});

function plainRequest(
  url: string,
  method: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
