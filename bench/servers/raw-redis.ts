import { createServer, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { serveBenchmark } from '../server-harness.js';

/**
 * (r) The floor for events that come through Redis: bare node:http and bare ioredis, no library.
 * A user's channel is SUBSCRIBEd when its response opens; a publish is one `PUBLISH` through
 * ioredis' auto-pipelining (what a tick publishes leaves in one write) and settles when Redis
 * answers; each message received is written to its user's response. No ids, no history, no
 * deadlines, no validation: what any design that delivers through Redis channels pays at least.
 */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.CHANNEL_PREFIX ?? `bench:${randomUUID()}:`;
const publisher = new Redis(url, { enableAutoPipelining: true });
const subscriber = new Redis(url);
const users = new Map<string, ServerResponse>();
let subscribed = 0;

subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
  users.get(channel.toString())?.write(`data: ${message.toString()}\n\n`);
});

const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  const user = /^\/user\/(\d+)/.exec(req.url ?? '');
  if (!user) return void res.end();
  const channel = `${prefix}user:${user[1]}`;
  users.set(channel, res);
  void subscriber.subscribe(channel).then(() => subscribed++);
  res.on('close', () => {
    users.delete(channel);
    subscribed--;
    void subscriber.unsubscribe(channel);
  });
});
server.listen(0, '127.0.0.1', () => {
  serveBenchmark({
    port: (server.address() as { port: number }).port,
    publish() {
      throw new Error('raw-redis serves the per-user workload only');
    },
    publishToUser: (user, data) => publisher.publish(`${prefix}user:${user}`, data),
    connections: () => subscribed,
  });
});
