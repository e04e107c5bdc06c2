import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SseConnection,
  createBroadcaster,
  createSseHandler,
  type SseHandler,
  type SseLogger,
} from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';

const silent: SseLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A subclass whose helpers happen to share names with the library's own lifecycle steps. */
class AppConnection extends SseConnection {
  readonly calls: string[] = [];
  open(): void {
    this.calls.push('open');
  }
  deliver(): void {
    this.calls.push('deliver');
  }
  expire(): void {
    this.calls.push('expire');
  }
  terminate(): void {
    this.calls.push('terminate');
  }
  flushTick(): void {
    this.calls.push('flushTick');
  }
  sendKeepalive(): void {
    this.calls.push('sendKeepalive');
  }
}

async function listen(handler: SseHandler): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('SseConnection is a facade: the library never calls what a subclass defines', () => {
  it('a subclass with open/deliver/expire/terminate/flushTick/sendKeepalive of its own still streams', async () => {
    const { broadcast, channels, close } = await createBroadcaster({ logger: silent });
    const opened: AppConnection[] = [];
    const handler = createSseHandler(
      {
        async onConnect(sse: SseConnection) {
          opened.push(sse as AppConnection);
          await sse.join('news');
          await sse.send('hello');
        },
      },
      { connectionClass: AppConnection, channels, logger: silent, keepalive: 0.02, maxLifetime: 1 },
    );
    const { server, url } = await listen(handler);
    try {
      const client = await RawSseClient.open(url);
      await client.waitForEvents(1);
      await broadcast.publish('news', 'live');
      await client.waitForEvents(2);
      await client.waitFor((c) => c.comments.length > 0, 2000, 'a keepalive');
      await client.waitForEnd(3000); // maxLifetime ends it through the library's own expire
      expect(client.events.map((e) => e.data)).toEqual(['hello', 'live']);
      expect(opened[0].calls).toEqual([]);
      expect(opened[0].closeReason).toBe('lifetime');
    } finally {
      handler.close();
      server.close();
      await close();
    }
  });

  it('shows no library internals on the instance', () => {
    const names = Object.getOwnPropertyNames(SseConnection.prototype).sort();
    expect(names).toEqual(
      [
        'bufferedBytes',
        'channels',
        'close',
        'closeReason',
        'closed',
        'comment',
        'constructor',
        'join',
        'keepalive',
        'leave',
        'onClose',
        'pipe',
        'replay',
        'replayGap',
        'send',
        'sendEvent',
        'sendJson',
        'signal',
        'stash',
        'trySend',
        'trySendEvent',
        'trySendJson',
      ].sort(),
    );
  });
});
