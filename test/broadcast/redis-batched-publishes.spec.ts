import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisTransport } from '../../src/broadcast/redis/redis.transport.js';
import type { SseLogger } from '../../src/connection/index.js';

const logger: SseLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
const frame = (n: number) => Buffer.from(`data: ${n}\n\n`);

describe('Redis transport: what a tick publishes goes in one script call', () => {
  let transport: RedisTransport;
  let received: { channel: string; data: string; id: string | undefined }[];
  let scriptCalls: number;

  beforeEach(async () => {
    received = [];
    scriptCalls = 0;
    transport = new RedisTransport(
      { url: 'redis://127.0.0.1:6379', channelPrefix: `batch:${randomUUID()}:` },
      { size: 5000, channels: (channel) => channel !== 'live' },
    );
    await transport.start(
      (channel, bytes, _except, id) =>
        received.push({ channel, data: bytes.toString().replace(/^(id: .*\n)?data: /, ''), id }),
      logger,
    );
    await Promise.all(['live', 'stored'].map((channel) => transport.subscribe(channel)));
    await transport.publish('live', frame(-1)); // the clock offset is known from here on
    await waitFor(() => received.length === 1);
    received = [];
    const publisher = (transport as unknown as { connections: { publisher: Redis } }).connections
      .publisher;
    const send = publisher.sendCommand.bind(publisher);
    publisher.sendCommand = ((command: { name: string }) => {
      if (command.name.startsWith('eval')) scriptCalls++;
      return send(command as never);
    }) as typeof publisher.sendCommand;
  });
  afterEach(() => transport.close());

  it('keeps the publish order across channels, with history or not, each publish with its own result', async () => {
    // 1,000 publishes in one tick: live, stored, and live-only on the stored channel, interleaved.
    const publishes = Array.from({ length: 1000 }, (_, n) =>
      n % 3 === 0
        ? transport.publish('live', frame(n))
        : transport.publish('stored', frame(n), { history: n % 3 === 1 }),
    );
    const results = await Promise.all(publishes);
    await waitFor(() => received.length === 1000);
    expect(received.map((r) => Number(r.data))).toEqual(results.map((_, n) => n));
    results.forEach((id, n) => expect(id === undefined).toBe(n % 3 !== 1));
    const ids = results.filter((id): id is string => id !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    expect(received.filter((r) => r.id).map((r) => r.id)).toEqual(ids);
    // Runs of one script (live or history), up to 500 messages a call: not one call per publish.
    expect(scriptCalls).toBeLessThanOrEqual(700);
    expect(scriptCalls).toBeGreaterThan(0);
  });

  it('sends runs of one script in one call: 1,000 live publishes in a tick are two calls', async () => {
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, n) => transport.publish('live', frame(n))),
    );
    expect(results.every((id) => id === undefined)).toBe(true);
    expect(scriptCalls).toBe(2);
    await waitFor(() => received.length === 1000);
    expect(received.map((r) => Number(r.data))).toEqual(results.map((_, n) => n));
  });

  it('writes what the tick published before it closes: a publish followed by close() in the same tick resolves', async () => {
    const published = transport.publish('stored', frame(1));
    const closed = transport.close();
    await expect(published).resolves.toMatch(/^\d+-\d+-\w+$/);
    await closed;
  });
});

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
