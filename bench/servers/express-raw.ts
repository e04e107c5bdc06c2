import express, { type Response } from 'express';
import { serveBenchmark } from '../server-harness.js';

/** Reference: bare Express (no Nest, no library) writing one pre-encoded buffer to every response. */
const responses = new Set<Response>();
const app = express();
app.get('/', (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  responses.add(res);
  res.on('close', () => responses.delete(res));
});
const server = app.listen(0, '127.0.0.1', () => {
  serveBenchmark({
    port: (server.address() as { port: number }).port,
    publish(data) {
      const frame = Buffer.from(`data: ${data}\n\n`);
      for (const res of responses) res.write(frame);
    },
    connections: () => responses.size,
  });
});
