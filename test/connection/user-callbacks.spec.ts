import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createBroadcaster,
  createSseHandler,
  type SseConnection,
  type SseHandler,
  type SseLogger,
} from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';

async function listen(handler: SseHandler): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function recordingLogger(): SseLogger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, log: () => undefined, warn: () => undefined, error: (m) => errors.push(m) };
}

describe('application callbacks are guarded in one place', () => {
  it('calls connectionKey once per request; one that throws is logged and counts under no key', async () => {
    const logger = recordingLogger();
    let calls = 0;
    const handler = createSseHandler(
      { onConnect: (sse: SseConnection) => sse.send('hi') },
      {
        logger,
        maxConnectionsPerKey: 1,
        connectionKey: (request) => {
          calls++;
          if (request.query.user === 'bad') throw new Error('no user');
          return String(request.query.user);
        },
      },
    );
    const { server, url } = await listen(handler);
    try {
      const ok = await RawSseClient.open(`${url}/?user=ada`);
      await ok.waitForEvents(1);
      expect(calls).toBe(1);
      const bad = await RawSseClient.open(`${url}/?user=bad`);
      await bad.waitForEvents(1);
      expect(bad.status).toBe(200);
      expect(logger.errors.join('\n')).toMatch(/connectionKey of SSE endpoint .* failed: no user/);
      ok.close();
      bad.close();
    } finally {
      handler.close();
      server.close();
    }
  });

  it('a history.channels predicate that throws means no history for that channel, logged', async () => {
    const logger = recordingLogger();
    const { broadcast, close } = await createBroadcaster({
      logger,
      history: {
        size: 10,
        channels: (name) => {
          if (name === 'boom') throw new Error('predicate failed');
          return true;
        },
      },
    });
    try {
      expect(await broadcast.publish('boom', 'x')).toBeUndefined(); // not stored: no id
      expect(await broadcast.publish('fine', 'y')).toMatch(/\d+-\d+/);
      expect(logger.errors.join('\n')).toMatch(
        /history.channels\("boom"\) failed: predicate failed/,
      );
    } finally {
      await close();
    }
  });

  it('a logger that throws breaks neither the stream nor the hooks', async () => {
    const throwing: SseLogger = {
      log: () => {
        throw new Error('log');
      },
      warn: () => {
        throw new Error('warn');
      },
      error: () => {
        throw new Error('error');
      },
    };
    const handler = createSseHandler(
      {
        onConnect: async (sse: SseConnection) => {
          await sse.send('before');
          sse.onClose(() => {
            throw new Error('a close listener that throws, logged by a logger that throws');
          });
        },
      },
      { logger: throwing },
    );
    const { server, url } = await listen(handler);
    try {
      const client = await RawSseClient.open(url);
      await client.waitForEvents(1);
      handler.close();
      await client.waitForEnd();
      expect(client.events.map((e) => e.data)).toEqual(['before']);
    } finally {
      server.close();
    }
  });
});
