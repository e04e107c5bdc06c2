import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, totalmem } from 'node:os';
import { BenchCluster, type NodeStats } from './redis-cluster.js';
import { OTHERS_CPU, SERVER_CPU, canPin, pin } from './pin.js';
import { OwnRedisServer } from '../test/helpers/redis-server.js';

/**
 * `npm run bench`: the same fan-out scenarios, in one run, against every variant. Each server is a
 * process of its own (its CPU measured with process.cpuUsage()), the load client another.
 *
 * Options: --n=1000,5000  --only=raw,nest,better-sse,express,fastify,redis  --bursts=3
 *          (also express-raw, express-history, redis-history)
 *          --burst=200  --rate=50  --seconds=5  --out=bench/last-run.md  --profile=DIR (--cpu-prof)
 *
 * The per-user workload (each connection in its own channel `user:<i>`, `--events` events to each
 * user channel, published by a loop in the server): `--only=user-raw,user-memory,user-redis,user-redis-history`
 *          (also user-raw-spread, user-raw-redis: bare node:http + ioredis, user-redis-history-16: one Redis
 *          with historyCounters 16 as on a cluster, and user-redis-cluster, user-redis-cluster-history: on a
 *          three-master cluster of the bench's own, sharded pub/sub, with each master's CPU and calls)
 *          --users=2000  --events=20  --runs=3
 *
 * --pin: the server alone on CPU 0, the load client and Redis on CPU 1; the Redis rows then use a
 *        redis-server of the bench's own (pinned) instead of the shared one (see `pin.ts`).
 */
const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key, value ?? 'true'];
  }),
);
const SIZES = (args.n ?? '1000,5000').split(',').map(Number);
const BURST = Number(args.burst ?? 200);
const BURSTS = Number(args.bursts ?? 3);
const RATE = Number(args.rate ?? 50);
const SECONDS = Number(args.seconds ?? 5);
const USERS = Number(args.users ?? 2000);
const EVENTS = Number(args.events ?? 20);
const RUNS = Number(args.runs ?? 3);
const PIN = args.pin === 'true' && canPin();
if (args.pin === 'true' && !PIN)
  process.stderr.write('--pin needs two CPUs and taskset: not pinned\n');
/** With `--pin`, the Redis of the single-Redis rows: the bench's own, pinned with the client. */
let ownRedis: OwnRedisServer | null = null;
const redisUrl = () => ownRedis?.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Variant {
  key: string;
  name: string;
  script: string;
  path: string;
  env?: Record<string, string>;
  /** `'per-user'`: each connection in its own channel (`path` has `{i}`); else one-channel fan-out. */
  workload?: 'per-user';
  /** The bench starts a three-master Redis Cluster of its own for it (`CLUSTER_NODES`). */
  cluster?: boolean;
}

const VARIANTS: Variant[] = [
  { key: 'raw', name: '(a) raw node:http', script: 'servers/raw-http.js', path: '/' },
  {
    key: 'express-raw',
    name: "(a') bare Express, res.write",
    script: 'servers/express-raw.js',
    path: '/',
  },
  { key: 'nest', name: '(b) Nest @Sse() + Subject', script: 'servers/nest-sse.js', path: '/sse' },
  { key: 'better-sse', name: '(c) better-sse channel', script: 'servers/better-sse.js', path: '/' },
  {
    key: 'express',
    name: '(d) this library, Express',
    script: 'servers/library.js',
    path: '/sse',
    env: { PLATFORM: 'express' },
  },
  {
    key: 'fastify',
    name: '(e) this library, Fastify',
    script: 'servers/library.js',
    path: '/sse',
    env: { PLATFORM: 'fastify' },
  },
  {
    key: 'express-history',
    name: '(d+h) this library, Express, history 1000',
    script: 'servers/library.js',
    path: '/sse',
    env: { PLATFORM: 'express', HISTORY: '1000' },
  },
  {
    key: 'redis',
    name: '(f) this library, Redis transport',
    script: 'servers/library.js',
    path: '/sse',
    env: { PLATFORM: 'express', TRANSPORT: 'redis' },
  },
  {
    key: 'redis-history',
    name: '(f+h) this library, Redis transport, history 1000',
    script: 'servers/library.js',
    path: '/sse',
    env: { PLATFORM: 'express', TRANSPORT: 'redis', HISTORY: '1000' },
  },
  ...(
    [
      {
        key: 'user-raw',
        name: '(a) raw node:http, map user → response',
        script: 'servers/raw-http.js',
      },
      {
        key: 'user-raw-spread',
        name: "(a') raw node:http, at most 500 writes per event-loop turn",
        script: 'servers/raw-http.js',
        env: { SPREAD: '1' },
      },
      {
        key: 'user-raw-redis',
        name: '(r) raw node:http + bare ioredis pub/sub, no library',
        script: 'servers/raw-redis.js',
      },
      { key: 'user-memory', name: '(u) this library, memory', env: {} },
      { key: 'user-redis', name: '(u) this library, Redis', env: { TRANSPORT: 'redis' } },
      {
        key: 'user-redis-history',
        name: '(u+h) this library, Redis, history 1000',
        env: { TRANSPORT: 'redis', HISTORY: '1000' },
      },
      {
        key: 'user-redis-history-16',
        name: '(u+h) this library, Redis, history 1000 over 16 counters (as a cluster spreads it)',
        env: { TRANSPORT: 'redis', HISTORY: '1000', HISTORY_COUNTERS: '16' },
      },
      {
        key: 'user-redis-cluster',
        name: '(u) this library, Redis Cluster, 3 masters',
        env: { TRANSPORT: 'redis' },
        cluster: true,
      },
      {
        key: 'user-redis-cluster-history',
        name: '(u+h) this library, Redis Cluster, 3 masters, history 1000',
        env: { TRANSPORT: 'redis', HISTORY: '1000' },
        cluster: true,
      },
    ] as {
      key: string;
      name: string;
      script?: string;
      env?: Record<string, string>;
      cluster?: boolean;
    }[]
  ).map((v): Variant => ({
    script: 'servers/library.js',
    ...v,
    path: '/user/{i}',
    env: { PLATFORM: 'express', ...v.env },
    workload: 'per-user',
  })),
];
const only = args.only?.split(',');

/** Sends a command and resolves with the next message that has `key`. */
function ask<T>(child: ChildProcess, message: object, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Record<string, unknown>) => {
      if (!(key in reply)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(reply as T);
    };
    const onExit = (code: number) =>
      reject(new Error(`${child.spawnfile} exited (${code}) while waiting for ${key}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (Object.keys(message).length) child.send(message);
  });
}

interface ClientResult {
  timedOut: boolean;
  expected: number;
  delivered: number;
  extra: number;
  outOfOrder: number;
  seconds: number;
  p50: number;
  p99: number;
}

interface Row {
  variant: string;
  n: number;
  burstCpuUs: number;
  burstRate: number;
  burstP50: number;
  burstP99: number;
  steadyCpuUs: number;
  steadyP50: number;
  steadyP99: number;
  rssPerConnKiB: number;
  complete: boolean;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `variant`'s server and a load client with `n` connections, runs `body`, stops both. */
async function withServer<T>(
  variant: Variant,
  n: number,
  body: (server: ChildProcess, client: ChildProcess, rssIdleDelta: number) => Promise<T>,
): Promise<T> {
  const channelPrefix = `bench:${randomUUID()}:`;
  const server = fork(join(here, variant.script), {
    execArgv: [
      '--expose-gc',
      ...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : []),
    ],
    env: { ...process.env, REDIS_URL: redisUrl(), ...variant.env, CHANNEL_PREFIX: channelPrefix },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await ask<{ port: number }>(server, {}, 'port');
  const client = fork(join(here, 'load-client.js'), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (PIN) {
    pin(server.pid, SERVER_CPU);
    pin(client.pid, OTHERS_CPU);
  }
  try {
    const { rss: rssBefore } = await ask<{ rss: number }>(server, { cmd: 'mem' }, 'rss');
    await ask(client, { cmd: 'connect', port, path: variant.path, count: n }, 'connected');
    for (
      let i = 0;
      (await ask<{ connections: number }>(server, { cmd: 'connections' }, 'connections'))
        .connections < n;
      i++
    ) {
      if (i > 500) throw new Error(`${variant.name}: not all ${n} connections registered`);
      await sleep(20);
    }
    await sleep(500);
    const { rss: rssIdle } = await ask<{ rss: number }>(server, { cmd: 'mem' }, 'rss');
    return await body(server, client, rssIdle - rssBefore);
  } finally {
    await ask(client, { cmd: 'close' }, 'closed').catch(() => undefined);
    server.kill(args.profile ? 'SIGINT' : 'SIGKILL');
    if (args.profile) await new Promise((resolve) => server.once('exit', resolve));
    if (variant.env?.TRANSPORT === 'redis' && !variant.cluster) await removeKeys(channelPrefix);
  }
}

/** Unlinks what a server stored under `prefix` in the shared Redis (history keeps it a day). */
async function removeKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl());
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }))
      if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
  } finally {
    redis.disconnect();
  }
}

async function measure(variant: Variant, n: number): Promise<Row> {
  return withServer(variant, n, async (server, client, rssIdleDelta) => {
    const run = async (command: object, perConnection: number) => {
      const { cpu: cpuBefore } = await ask<{ cpu: number }>(server, { cmd: 'cpu' }, 'cpu');
      const pending = ask<{ result: ClientResult }>(
        client,
        { cmd: 'expect', perConnection, timeoutMs: 60_000 },
        'result',
      );
      await ask(client, {}, 'expecting');
      await ask(server, command, 'sent');
      const { result } = await pending;
      const { cpu: cpuAfter } = await ask<{ cpu: number }>(server, { cmd: 'cpu' }, 'cpu');
      return { ...result, cpuPerDelivery: (cpuAfter - cpuBefore) / (perConnection * n) };
    };

    const bursts = [];
    for (let i = 0; i < BURSTS; i++) bursts.push(await run({ cmd: 'burst', count: BURST }, BURST));
    const steady = await run(
      { cmd: 'steady', rate: RATE, seconds: SECONDS },
      Math.round(RATE * SECONDS),
    );
    const all = [...bursts, steady];
    return {
      variant: variant.name,
      n,
      burstCpuUs: median(bursts.map((b) => b.cpuPerDelivery)),
      burstRate: median(bursts.map((b) => b.expected / b.seconds)),
      burstP50: median(bursts.map((b) => b.p50)),
      burstP99: median(bursts.map((b) => b.p99)),
      steadyCpuUs: steady.cpuPerDelivery,
      steadyP50: steady.p50,
      steadyP99: steady.p99,
      rssPerConnKiB: rssIdleDelta / n / 1024,
      complete: all.every(
        (r) => !r.timedOut && r.delivered === r.expected && r.extra === 0 && r.outOfOrder === 0,
      ),
    };
  });
}

interface UserRow {
  variant: string;
  users: number;
  cpuUs: number;
  /** Publishes one process can make per second of its CPU (each is one delivery here). */
  cpuPublishesPerSecond: number;
  /** Publishes settled per wall-clock second in the publish loop. */
  wallPublishesPerSecond: number;
  p50: number;
  p99: number;
  complete: boolean;
}

/**
 * Opens `users` connections, each its own user; `RUNS` times `EVENTS` events to every user.
 * `aroundRuns` is called right before the first run and right after the last.
 */
async function measureUsers(
  variant: Variant,
  users: number,
  aroundRuns?: () => Promise<void>,
): Promise<UserRow> {
  return withServer(variant, users, async (server, client) => {
    await aroundRuns?.();
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const { cpu: cpuBefore } = await ask<{ cpu: number }>(server, { cmd: 'cpu' }, 'cpu');
      const pending = ask<{ result: ClientResult }>(
        client,
        { cmd: 'expect', perConnection: EVENTS, timeoutMs: 120_000 },
        'result',
      );
      await ask(client, {}, 'expecting');
      const { publishMs } = await ask<{ publishMs: number }>(
        server,
        { cmd: 'users', users, rounds: EVENTS },
        'sent',
      );
      const { result } = await pending;
      const { cpu: cpuAfter } = await ask<{ cpu: number }>(server, { cmd: 'cpu' }, 'cpu');
      runs.push({ ...result, publishMs, cpuUs: (cpuAfter - cpuBefore) / (EVENTS * users) });
    }
    await aroundRuns?.();
    const cpuUs = median(runs.map((r) => r.cpuUs));
    return {
      variant: variant.name,
      users,
      cpuUs,
      cpuPublishesPerSecond: 1e6 / cpuUs,
      wallPublishesPerSecond: median(runs.map((r) => (EVENTS * users) / (r.publishMs / 1000))),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      complete: runs.every(
        (r) => !r.timedOut && r.delivered === r.expected && r.extra === 0 && r.outOfOrder === 0,
      ),
    };
  });
}

function userTable(rows: UserRow[]): string {
  const raw = rows.find((r) => r.variant.startsWith('(a)'));
  const bare = rows.find((r) => r.variant.startsWith('(r)'));
  const ratio = (value: number, to?: UserRow) => (to ? `${fmt(value / to.cpuUs)}x` : '–');
  const lines = [
    '| variant | connections | CPU µs/delivery | vs raw | vs bare ioredis | publishes/s per process (CPU) | publishes/s (loop, wall) | p50 / p99 ms | all arrived, in order |',
    '|---|---:|---:|---:|---:|---:|---:|---:|:---:|',
  ];
  for (const r of rows) {
    const viaRedis = r.variant.includes('Redis') || r.variant.includes('ioredis');
    lines.push(
      `| ${r.variant} | ${r.users} | ${fmt(r.cpuUs)} | ${ratio(r.cpuUs, raw)} | ${viaRedis ? ratio(r.cpuUs, bare) : ''} | ${Math.round(r.cpuPublishesPerSecond).toLocaleString('en')} | ${Math.round(r.wallPublishesPerSecond).toLocaleString('en')} | ${fmt(r.p50, 1)} / ${fmt(r.p99, 1)} | ${r.complete ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

function table(rows: Row[]): string {
  const lines = [
    '| variant | N | burst CPU µs/delivery | burst deliveries/s | burst p50 / p99 ms | steady CPU µs/delivery | steady p50 / p99 ms | RSS KiB/idle conn | all arrived |',
    '|---|---:|---:|---:|---:|---:|---:|---:|:---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.variant} | ${r.n} | ${fmt(r.burstCpuUs)} | ${Math.round(r.burstRate).toLocaleString('en')} | ${fmt(r.burstP50, 1)} / ${fmt(r.burstP99, 1)} | ${fmt(r.steadyCpuUs)} | ${fmt(r.steadyP50, 2)} / ${fmt(r.steadyP99, 2)} | ${fmt(r.rssPerConnKiB, 1)} | ${r.complete ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

function ratios(rows: Row[]): string {
  const lines = [
    '| variant | N | burst CPU | steady CPU | steady p99 | RSS/conn |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const raw = rows.find((x) => x.n === r.n && x.variant.startsWith('(a)'));
    if (!raw || r === raw) continue;
    lines.push(
      `| ${r.variant} | ${r.n} | ${fmt(r.burstCpuUs / raw.burstCpuUs)}x | ${fmt(r.steadyCpuUs / raw.steadyCpuUs)}x | ${fmt(r.steadyP99 / raw.steadyP99)}x | ${fmt(r.rssPerConnKiB / raw.rssPerConnKiB)}x |`,
    );
  }
  return lines.join('\n');
}

const selected = VARIANTS.filter((v) => (only ? only.includes(v.key) : v.workload !== 'per-user'));
if (
  PIN &&
  selected.some(
    (v) => !v.cluster && (v.env?.TRANSPORT === 'redis' || v.script === 'servers/raw-redis.js'),
  )
) {
  ownRedis = await OwnRedisServer.start();
  pin(ownRedis.pid, OTHERS_CPU);
}
const rows: Row[] = [];
for (const n of SIZES) {
  for (const variant of selected.filter((v) => v.workload !== 'per-user')) {
    process.stderr.write(`${variant.name}, N=${n}… `);
    const row = await measure(variant, n);
    rows.push(row);
    process.stderr.write(
      `burst ${fmt(row.burstCpuUs)} µs/delivery, steady p99 ${fmt(row.steadyP99)} ms\n`,
    );
  }
}
/** A cluster variant's row, and what each master did during its runs. */
interface ClusterRow {
  row: UserRow;
  masters: { port: number; cpuSeconds: number; calls: Record<string, number> }[];
}

/** Starts a cluster, measures `variant` on it, reads each master before and after the runs. */
async function measureOnCluster(variant: Variant, users: number): Promise<ClusterRow> {
  const cluster = await BenchCluster.start(3);
  if (PIN) for (const pid of cluster.pids) pin(pid, OTHERS_CPU);
  try {
    const snapshots: NodeStats[][] = [];
    const row = await measureUsers(
      { ...variant, env: { ...variant.env, CLUSTER_NODES: cluster.nodes.join(',') } },
      users,
      async () => void snapshots.push(await cluster.stats()),
    );
    const [before, after] = snapshots;
    const masters = after.map((end, i) => ({
      port: end.port,
      cpuSeconds: end.cpuSeconds - before[i].cpuSeconds,
      calls: Object.fromEntries(
        Object.entries(end.calls).map(([cmd, calls]) => [cmd, calls - (before[i].calls[cmd] ?? 0)]),
      ),
    }));
    return { row, masters };
  } finally {
    await cluster.stop();
  }
}

function clusterTable(clusterRows: ClusterRow[], measured: UserRow[]): string {
  const single = (variant: string) =>
    measured.find((r) => r.variant === variant.replace(/ Cluster, 3 masters/, ''));
  const lines = [
    '| variant | CPU µs/delivery | vs single Redis (same run) | master | master CPU s (sys+user) | evalsha | spublish | publish |',
    '|---|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const { row, masters } of clusterRows) {
    const reference = single(row.variant);
    masters.forEach((m, i) => {
      const head =
        i === 0
          ? `| ${row.variant} | ${fmt(row.cpuUs)} | ${reference ? `${fmt(row.cpuUs / reference.cpuUs)}x` : '–'} `
          : '| | | ';
      lines.push(
        `${head}| :${m.port} | ${fmt(m.cpuSeconds)} | ${(m.calls.evalsha ?? 0).toLocaleString('en')} | ${(m.calls.spublish ?? 0).toLocaleString('en')} | ${(m.calls.publish ?? 0).toLocaleString('en')} |`,
      );
    });
  }
  return lines.join('\n');
}

const userRows: UserRow[] = [];
const clusterRows: ClusterRow[] = [];
for (const variant of selected.filter((v) => v.workload === 'per-user')) {
  process.stderr.write(`${variant.name}, ${USERS} users… `);
  let row: UserRow;
  if (variant.cluster) {
    const measured = await measureOnCluster(variant, USERS);
    clusterRows.push(measured);
    row = measured.row;
  } else row = await measureUsers(variant, USERS);
  userRows.push(row);
  process.stderr.write(`${fmt(row.cpuUs)} µs/delivery\n`);
}
await ownRedis?.kill();
const report = [
  `Run ${new Date().toISOString()} on ${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
  ...(PIN
    ? [
        "Pinned (--pin): each server alone on CPU 0; the load client and Redis (for one Redis, a redis-server of the bench's own; the cluster's masters) on CPU 1.",
      ]
    : []),
  ...(rows.length
    ? [
        `Bursts of ${BURST} events of 100 bytes published in one tick (median of ${BURSTS}); steady ${RATE} events/s for ${SECONDS} s.`,
        '',
        table(rows),
        '',
        'Ratios to (a) raw node:http in the same run (lower is better):',
        '',
        ratios(rows),
        '',
      ]
    : []),
  ...(userRows.length
    ? [
        `Per-user workload: ${USERS} connections, each in its own channel; ${EVENTS} events of 100 bytes to each channel, published by a loop in the server (at most 500 unsettled); CPU of the server per delivery, median of ${RUNS} runs; ratios to raw node:http in the same run.`,
        '',
        userTable(userRows),
        '',
      ]
    : []),
  ...(clusterRows.length
    ? [
        `On the cluster (three masters of the bench's own, no replicas, sharded pub/sub; ${PIN ? 'on CPU 1 with the load client' : `they share the machine's ${cpus().length} cores with the server and the load client`}): each master's CPU and calls during the ${RUNS} run(s) (INFO cpu / commandstats, after minus before; spublish counts the calls made by the scripts).`,
        '',
        clusterTable(clusterRows, userRows),
        '',
      ]
    : []),
].join('\n');
console.log(report);
writeFileSync(args.out ?? join(here, '..', '..', 'bench', 'last-run.md'), report);
