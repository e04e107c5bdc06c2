import { createServer, type ServerResponse } from 'node:http';
import { serveBenchmark } from '../server-harness.js';

/** (a) The physical limit: bare node:http writing one pre-encoded buffer to every response. */
const responses = new Set<ServerResponse>();
const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
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
    connections: () => responses.size,
  });
});
