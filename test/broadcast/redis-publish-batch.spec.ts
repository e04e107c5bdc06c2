import { Redis } from 'ioredis';
import {
  BatchedScript,
  RedisPublishBatch,
  type BatchMessage,
  type SharedArgs,
} from '../../src/broadcast/redis/redis-publish-batch.js';
import { unpacked } from './packed-args.js';

/** Returns its keys and arguments as one string, and 0 for the argument 'expired'. */
const ECHO = `
if ARGV[2] == 'expired' then return 0 end
return table.concat(KEYS, ',') .. '|' .. table.concat(ARGV, ',')
`;

describe('RedisPublishBatch (what a tick publishes, in one script call per route)', () => {
  let client: Redis;
  let commands: string[];
  /** The arguments of each command written by the last `run` (after the script's sha). */
  let written: unknown[][];

  beforeAll(async () => {
    client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await client.connect();
  });
  afterAll(() => client.quit());

  /** Runs `messages` in one tick; resolves with each one's result and the commands written. */
  async function run(messages: BatchMessage[]): Promise<unknown[]> {
    commands = [];
    written = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string; args: unknown[] }) => {
      commands.push(command.name);
      written.push(command.args.slice(1).flatMap(unpacked));
      return send(command as never);
    }) as typeof client.sendCommand;
    try {
      const batch = new RedisPublishBatch();
      const results = messages.map(
        (message) =>
          new Promise((resolve, reject) =>
            batch.add(client, message, {
              settled: false,
              writing: () => true,
              answered: (error, result) => (error ? reject(error) : resolve(result)),
            }),
          ),
      );
      return await Promise.all(results);
    } finally {
      client.sendCommand = send;
    }
  }

  it.each([
    {
      how: "named as the call's keys",
      routed: false,
      written: ['3', 'k1', 'k2', 'k3', '1', 'a', 'x', '2', 'b', 'expired', '3', 'c', 'y'],
    },
    {
      how: "as arguments, the call naming only its first message's key (routed: a cluster routes by it)",
      routed: true,
      written: ['1', 'k1', 'k1', 'a', 'x', 'k2', 'b', 'expired', 'k3', 'c', 'y'],
    },
  ])(
    'runs the per-message script once per message, in order, with its own keys ($how) and arguments, in one call',
    async ({ routed, written: expected }) => {
      const script = new BatchedScript(`testEcho${routed}`, ECHO, 1, 2, [], routed);
      script.install(client);
      const results = await run([
        { script, keys: ['k1'], args: ['a', 'x'] },
        { script, keys: ['k2'], args: ['b', 'expired'] },
        { script, keys: ['k3'], args: ['c', 'y'] },
      ]);
      expect(results).toEqual(['k1|a,x', 0, 'k3|c,y']);
      expect(written.filter((_, i) => commands[i].startsWith('eval'))).toEqual([expected]);
    },
  );

  it("names each key once: a key in every message (an id counter's) is one of the call's keys", async () => {
    const script = new BatchedScript('testKeyOnce', ECHO, 2, 2);
    script.install(client);
    const results = await run([
      { script, keys: ['seq', 'a'], args: ['1', 'x'] },
      { script, keys: ['seq', 'b'], args: ['2', 'y'] },
      { script, keys: ['seq', 'a'], args: ['3', 'z'] },
    ]);
    expect(results).toEqual(['seq,a|1,x', 'seq,b|2,y', 'seq,a|3,z']);
    expect(written.filter((_, i) => commands[i].startsWith('eval'))).toEqual([
      ['3', 'seq', 'a', 'b', '1', '2', '1', 'x', '1', '3', '2', 'y', '1', '2', '3', 'z'],
    ]);
  });

  it.each([
    { positions: [1], own: [['m1'], ['m2']], shared: ['s'], expected: ['|s,m1', '|s,m2'] },
    {
      positions: [2, 4],
      own: [
        ['a', 'c'],
        ['d', 'f'],
      ],
      shared: ['B', 'D'],
      expected: ['|a,B,c,D', '|d,B,f,D'],
    },
  ])(
    'puts the shared arguments at their positions $positions of every message',
    async ({ positions, own, shared, expected }) => {
      const script = new BatchedScript(
        `testShared${positions.join('')}`,
        'return table.concat(KEYS, ",") .. "|" .. table.concat(ARGV, ",")',
        0,
        positions.length + own[0].length,
        positions,
      );
      script.install(client);
      const args: SharedArgs = { args: () => shared };
      expect(
        await run(own.map((mine) => ({ script, keys: [], args: mine, shared: args }))),
      ).toEqual(expected);
    },
  );

  it('keeps the order across scripts and shared arguments: one call per run of alike messages', async () => {
    const first = new BatchedScript('testFirst', 'return "1:" .. ARGV[1]', 0, 1);
    const second = new BatchedScript('testSecond', 'return "2:" .. ARGV[1]', 0, 1);
    first.install(client);
    second.install(client);
    const results = await run([
      { script: first, keys: [], args: ['a'] },
      { script: first, keys: [], args: ['b'] },
      { script: second, keys: [], args: ['c'] },
      { script: first, keys: [], args: ['d'] },
    ]);
    expect(results).toEqual(['1:a', '1:b', '2:c', '1:d']);
    expect(commands.filter((name) => name.startsWith('eval'))).toHaveLength(3);
  });

  it.each([
    {
      oneCallAtATime: true,
      routed: false,
      bAfterA: true,
      how: 'only once the previous is answered',
    },
    { oneCallAtATime: true, routed: true, bAfterA: false, how: 'at once (one key named)' },
    { oneCallAtATime: false, routed: false, bAfterA: false, how: 'at once' },
  ])(
    "oneCallAtATime $oneCallAtATime, routed $routed: a route's next call is written $how; another route's at once",
    async ({ oneCallAtATime, routed, bAfterA }) => {
      const script = new BatchedScript(`testLane${routed}`, 'return ARGV[1]', 1, 1, [], routed);
      script.install(client);
      const log: string[] = [];
      const send = client.sendCommand.bind(client);
      client.sendCommand = ((command: { name: string; args: unknown[] }) => {
        const arg = unpacked(command.args[command.args.length - 1]).at(-1);
        log.push(`write ${arg}`);
        const reply = send(command as never);
        void (reply as Promise<unknown>).then(() => log.push(`answered ${arg}`));
        return reply;
      }) as typeof client.sendCommand;
      try {
        const batch = new RedisPublishBatch(oneCallAtATime);
        const add = (arg: string, route: string) =>
          new Promise((resolve) =>
            batch.add(
              client,
              { script, keys: [`{lane}${arg}`], args: [arg], route },
              { settled: false, writing: () => true, answered: resolve },
            ),
          );
        const a = add('a', 'r');
        await new Promise((resolve) => process.nextTick(resolve)); // the tick of 'a' was sent
        await Promise.all([a, add('b', 'r'), add('c', 's')]);
      } finally {
        client.sendCommand = send;
      }
      const at = (entry: string) => log.indexOf(entry);
      expect(at('write c')).toBeLessThan(at('answered a'));
      expect(at('write b') > at('answered a')).toBe(bAfterA);
    },
  );

  it('behind a call Redis does not answer, keeps only what has not settled (bounded while it hangs)', async () => {
    const script = new BatchedScript('testHung', 'return 1', 1, 1);
    const answers: ((results: unknown[]) => void)[] = [];
    const hung = {
      testHung: () => new Promise<unknown[]>((resolve) => answers.push(resolve)),
    } as unknown as Redis;
    const batch = new RedisPublishBatch(true);
    const sent: string[] = [];
    const add = (arg: string, settled: boolean) =>
      batch.add(
        hung,
        { script, keys: ['{hung}k'], args: [arg], route: 'r' },
        { settled, writing: () => !settled && sent.push(arg) > 0, answered: () => undefined },
      );
    add('first', false);
    const tick = () => new Promise((resolve) => process.nextTick(resolve));
    await tick();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 500; i++) add(`${round}:${i}`, !(round === 19 && i === 499));
      await tick();
    }
    expect(batch.waiting).toBeLessThanOrEqual(1000);
    answers[0]([1]);
    await tick();
    await tick();
    expect(sent).toEqual(['first', '19:499']);
  });

  it('gives every message of a call the error of the call', async () => {
    const script = new BatchedScript('testFails', 'return redis.call("INCR", "no", "such")', 0, 1);
    script.install(client);
    const batch = new RedisPublishBatch();
    const errors = await Promise.all(
      ['a', 'b'].map(
        (arg) =>
          new Promise((resolve) =>
            batch.add(
              client,
              { script, keys: [], args: [arg] },
              { settled: false, writing: () => true, answered: resolve },
            ),
          ),
      ),
    );
    expect(errors).toHaveLength(2);
    errors.forEach((error) => expect(String(error)).toMatch(/wrong number of arg/i));
  });
});
