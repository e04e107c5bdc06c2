import { createServer, type ServerResponse } from 'node:http';
import { serveBenchmark } from '../server-harness.js';

/**
 * (a) The physical limit: bare node:http writing one pre-encoded buffer to every response; for the
 * per-user workload, a map user → response (`GET /user/<id>`) and one buffer per publish.
 */
const responses = new Set<ServerResponse>();
const users = new Map<number, ServerResponse>();
const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  const user = /^\/user\/(\d+)/.exec(req.url ?? '');
  if (user) {
    const id = Number(user[1]);
    users.set(id, res);
    res.on('close', () => users.delete(id));
    return;
  }
  responses.add(res);
  res.on('close', () => responses.delete(res));
});
server.listen(0, '127.0.0.1', () => {
  serveBenchmark({
    port: (server.address() as { port: number }).port,
    publish(data) {
      const frame = Buffer.from(`data: ${data}\n\n`);
      for (const res of responses) res.write(frame);
    },
    publishToUser(user, data) {
      users.get(user)?.write(Buffer.from(`data: ${data}\n\n`));
    },
    connections: () => responses.size + users.size,
  });
});
