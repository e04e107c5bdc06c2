import { payload } from './payload.js';

/** What each benchmarked server provides; the harness drives it over IPC. */
export interface BenchServer {
  port: number;
  /** Publishes one event with `data` to every connection, the way a user of that library would. */
  publish(data: string): unknown;
  /** Publishes one event with `data` to the one connection of user `user` (`/user/<user>`). */
  publishToUser?(user: number, data: string): unknown;
  connections(): number;
}

/** Publishes the per-user workload keeps in flight at once (below `maxPendingPublishes`' 1000). */
const USER_WINDOW = 500;

type Command =
  | { cmd: 'mem' }
  | { cmd: 'cpu' }
  | { cmd: 'connections' }
  | { cmd: 'burst'; count: number }
  | { cmd: 'steady'; rate: number; seconds: number }
  | { cmd: 'users'; users: number; rounds: number };

/** Answers the orchestrator's commands; call once the server listens. */
export function serveBenchmark(server: BenchServer): void {
  let seq = 0;
  const reply = (message: object) => process.send!(message);
  process.on('message', (message: Command) => {
    switch (message.cmd) {
      case 'mem':
        globalThis.gc?.();
        globalThis.gc?.();
        reply({ rss: process.memoryUsage().rss });
        break;
      case 'cpu': {
        const { user, system } = process.cpuUsage();
        reply({ cpu: user + system });
        break;
      }
      case 'connections':
        reply({ connections: server.connections() });
        break;
      case 'burst':
        // One synchronous loop: every event of the burst is published in the same tick.
        for (let i = 0; i < message.count; i++) server.publish(payload(seq++));
        reply({ sent: message.count });
        break;
      case 'users':
        void publishToUsers(server, message.users, message.rounds, seq).then((ms) =>
          reply({ sent: message.users * message.rounds, publishMs: ms }),
        );
        seq += message.rounds;
        break;
      case 'steady': {
        const total = Math.round(message.rate * message.seconds);
        let sent = 0;
        const timer = setInterval(() => {
          server.publish(payload(seq++));
          if (++sent === total) {
            clearInterval(timer);
            reply({ sent });
          }
        }, 1000 / message.rate);
        break;
      }
    }
  });
  reply({ ready: true, port: server.port });
}

/**
 * The per-user workload: `rounds` events to each of `users` user channels, round after round (so
 * each user's events go out in order), at most {@link USER_WINDOW} publishes unsettled at once,
 * as an application bounding its own concurrency would. Every user gets the same sequence number
 * in a round. Resolves with the ms from the first publish until the last one settled.
 */
async function publishToUsers(
  server: BenchServer,
  users: number,
  rounds: number,
  firstSeq: number,
): Promise<number> {
  const start = performance.now();
  const total = users * rounds;
  let data = '';
  let next = 0;
  let inFlight = 0;
  let settled = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (next < total && inFlight < USER_WINDOW) {
        const user = next % users;
        if (user === 0) data = payload(firstSeq + next / users);
        next++;
        const result = server.publishToUser!(user, data);
        if (result instanceof Promise) {
          inFlight++;
          result.then(onSettled, reject);
        } else settled++;
      }
      if (settled === total) resolve();
    };
    const onSettled = () => {
      inFlight--;
      settled++;
      pump();
    };
    pump();
  });
  return performance.now() - start;
}

// Let --cpu-prof write its profile when the orchestrator stops a profiled server.
process.on('SIGINT', () => process.exit(0));
