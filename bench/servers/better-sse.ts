import { createServer } from 'node:http';
import { createChannel, createSession } from 'better-sse';
import { serveBenchmark } from '../server-harness.js';

/** (c) better-sse with one channel, default options. */
const channel = createChannel();
const server = createServer(async (req, res) => {
  const session = await createSession(req, res, { keepAlive: null });
  channel.register(session);
});
server.listen(0, '127.0.0.1', () => {
  serveBenchmark({
    port: (server.address() as { port: number }).port,
    publish: (data) => channel.broadcast(data),
    connections: () => channel.sessionCount,
  });
});
