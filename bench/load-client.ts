import { connect, type Socket } from 'node:net';

/**
 * The load client, a process of its own: opens N raw SSE sockets and checks that every event
 * arrives, once and in order, on each; measures publish→receive latency on the monotonic clock.
 * `{i}` in the path becomes the connection's index (`/user/{i}`: one user per connection).
 */
interface Connection {
  socket: Socket;
  /** Parsed for sequence order and latency; the others only count events (a cheaper client). */
  sampled: boolean;
  lastChar: string;
  headerDone: boolean;
  pending: string;
  received: number;
  lastSeq: number;
  outOfOrder: number;
}

type Command =
  | { cmd: 'connect'; port: number; path: string; count: number }
  | { cmd: 'expect'; perConnection: number; timeoutMs: number }
  | { cmd: 'close' };

const connections: Connection[] = [];
let latencies = new Float64Array(0);
let latencyCount = 0;
let firstPublish = 0n;
let lastReceive = 0n;
let expectation: { perConnection: number; done: number; resolve: () => void } | null = null;
const SEQ = /s=(\d+) t=(\d+)/;
const SAMPLE_EVERY = 10;

function onEvent(conn: Connection, data: string, now: bigint): void {
  const match = SEQ.exec(data);
  if (!match) return;
  const seq = Number(match[1]);
  const published = BigInt(match[2]);
  if (conn.lastSeq >= 0 && seq !== conn.lastSeq + 1) conn.outOfOrder++;
  conn.lastSeq = seq;
  conn.received++;
  if (firstPublish === 0n || published < firstPublish) firstPublish = published;
  lastReceive = now;
  if (latencyCount < latencies.length) latencies[latencyCount++] = Number(now - published) / 1e6;
  if (
    expectation &&
    conn.received === expectation.perConnection &&
    ++expectation.done === connections.length
  ) {
    expectation.resolve();
  }
}

function onData(conn: Connection, chunk: string): void {
  const now = process.hrtime.bigint();
  let text = conn.pending + chunk;
  if (!conn.headerDone) {
    const end = text.indexOf('\r\n\r\n');
    if (end === -1) {
      conn.pending = text;
      return;
    }
    conn.headerDone = true;
    text = text.slice(end + 4);
    opened++;
    if (opened === target) openedResolve?.();
  }
  if (!conn.sampled) {
    conn.pending = '';
    countEvents(conn, text, now);
    return;
  }
  let start = 0;
  for (;;) {
    const at = text.indexOf('data:', start);
    if (at === -1) break;
    const lineEnd = text.indexOf('\n', at);
    if (lineEnd === -1) break;
    onEvent(conn, text.slice(at + 5, lineEnd), now);
    start = lineEnd + 1;
  }
  conn.pending = text.slice(start);
}

/** Counts frames by their blank-line terminator, across chunk boundaries. */
function countEvents(conn: Connection, text: string, now: bigint): void {
  let count = conn.lastChar === '\n' && text.startsWith('\n') ? 1 : 0;
  for (let at = text.indexOf('\n\n'); at !== -1; at = text.indexOf('\n\n', at + 2)) count++;
  conn.lastChar = text.length ? text[text.length - 1] : conn.lastChar;
  if (!count) return;
  lastReceive = now;
  const before = conn.received;
  conn.received += count;
  if (
    expectation &&
    before < expectation.perConnection &&
    conn.received >= expectation.perConnection
  ) {
    if (++expectation.done === connections.length) expectation.resolve();
  }
}

let opened = 0;
let target = 0;
let openedResolve: (() => void) | null = null;

async function open(port: number, path: string, count: number): Promise<void> {
  target = count;
  const done = new Promise<void>((resolve) => (openedResolve = resolve));
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1');
    const conn: Connection = {
      socket,
      sampled: i % SAMPLE_EVERY === 0,
      lastChar: '',
      headerDone: false,
      pending: '',
      received: 0,
      lastSeq: -1,
      outOfOrder: 0,
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => onData(conn, chunk));
    socket.on('error', () => undefined);
    socket.write(
      `GET ${path.replace('{i}', String(i))} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`,
    );
    connections.push(conn);
    if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]
    : NaN;
}

async function expect(perConnection: number, timeoutMs: number) {
  for (const conn of connections) {
    conn.received = 0;
    conn.outOfOrder = 0;
  }
  latencies = new Float64Array(Math.min(perConnection * connections.length, 2_000_000));
  latencyCount = 0;
  firstPublish = 0n;
  lastReceive = 0n;
  const finished = new Promise<void>(
    (resolve) => (expectation = { perConnection, done: 0, resolve }),
  );
  process.send!({ expecting: true });
  const timedOut = await Promise.race([
    finished.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), timeoutMs)),
  ]);
  expectation = null;
  const expected = perConnection * connections.length;
  const delivered = connections.reduce((sum, c) => sum + Math.min(c.received, perConnection), 0);
  const extra = connections.reduce((sum, c) => sum + Math.max(0, c.received - perConnection), 0);
  const sorted = latencies.slice(0, latencyCount).sort();
  return {
    timedOut,
    expected,
    delivered,
    extra,
    outOfOrder: connections.reduce((sum, c) => sum + c.outOfOrder, 0),
    seconds: Number(lastReceive - firstPublish) / 1e9,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

process.on('message', async (message: Command) => {
  if (message.cmd === 'connect') {
    await open(message.port, message.path, message.count);
    process.send!({ connected: connections.length });
  } else if (message.cmd === 'expect') {
    process.send!({ result: await expect(message.perConnection, message.timeoutMs) });
  } else if (message.cmd === 'close') {
    for (const conn of connections) conn.socket.destroy();
    process.send!({ closed: true }, () => process.exit(0));
  }
});
