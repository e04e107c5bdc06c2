import { createServer } from 'node:http';
import {
  createSseHandler,
  type Broadcaster,
  type SseConnection,
  type SseLogger,
} from '../../src/index.js';
import { RawSseClient } from './raw-sse-client.js';

const quiet: SseLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A `node:http` server whose streams join `channel` of `broadcaster` and then send `ready`, and a
 * first client on it (ready); `url` opens more.
 */
export async function serveChannel(broadcaster: Broadcaster, channel: string) {
  const handler = createSseHandler(
    {
      async onConnect(sse: SseConnection) {
        await sse.join(channel);
        await sse.sendEvent({ event: 'ready', data: '' });
      },
    },
    { channels: broadcaster.channels, logger: quiet },
  );
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}/`;
  const client = await RawSseClient.open(url);
  await client.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
  return {
    url,
    client,
    close: async () => {
      client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
