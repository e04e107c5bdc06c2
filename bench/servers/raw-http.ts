import { createServer, type ServerResponse } from 'node:http';
import { serveBenchmark } from '../server-harness.js';

/**
 * (a) The physical limit: bare node:http writing one pre-encoded buffer to every response; for the
 * per-user workload, a map user → response (`GET /user/<id>`) and one buffer per publish.
 */
const responses = new Set<ServerResponse>();
/**
 * SPREAD=1: a publish settles at the next turn of the event loop, so the publish loop writes at most
 * its window (500) per turn — the way events come in from Redis, a read at a time — instead of all
 * in one synchronous loop. The same writes; what the kernel and the client do differs.
 */
const spread = process.env.SPREAD === '1';
let nextTurn: Promise<void> | null = null;
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
      if (spread)
        return (nextTurn ??= new Promise((resolve) =>
          setImmediate(() => {
            nextTurn = null;
            resolve();
          }),
        ));
    },
    connections: () => responses.size + users.size,
  });
});
