import { Redis } from 'ioredis';
import { RedisTransport } from '../../src/broadcast/redis/redis.transport.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { OwnRedisServer } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * A history read made while the publisher reconnects (the live catch-up right after a
 * resubscription, a client resuming then) waits for it within `publishTimeout` instead of failing
 * at once: a failed catch-up read would leave live members without what they missed.
 */
describe('Redis history read while the publisher reconnects', () => {
  let server: OwnRedisServer;
  let transport: RedisTransport;
  let admin: Redis;

  beforeAll(async () => {
    server = await OwnRedisServer.start();
    admin = new Redis(server.port, '127.0.0.1');
    transport = new RedisTransport({ url: server.url, publishTimeout: 10_000 }, { size: 100 });
    await transport.start(() => {}, new CapturingLogger());
  });
  afterAll(async () => {
    await transport.close();
    admin.disconnect();
    await server.kill();
  });

  it('waits for the publisher and reads everything, no gap', async () => {
    const first = await transport.publish('feed', Buffer.from('data: 1\n\n'));
    await transport.publish('feed', Buffer.from('data: 2\n\n'));
    await transport.publish('feed', Buffer.from('data: 3\n\n'));
    // Drops the publisher's connection (type normal; our admin connection reconnects too).
    await admin.client('KILL', 'TYPE', 'normal');
    const publisher = (transport as unknown as { connections: { publisher: { status: string } } })
      .connections.publisher;
    await waitUntil(() => publisher.status !== 'ready', 'the publisher to see the kill');
    const read = await transport.history('feed', first!);
    expect(read.gap).toBe(false);
    expect(read.events.map((event) => event.frame.toString())).toEqual([
      expect.stringContaining('data: 2'),
      expect.stringContaining('data: 3'),
    ]);
  });
});
