import { payload } from './payload.js';

/** What each benchmarked server provides; the harness drives it over IPC. */
export interface BenchServer {
  port: number;
  /** Publishes one event with `data` to every connection, the way a user of that library would. */
  publish(data: string): unknown;
  connections(): number;
}

type Command =
  | { cmd: 'mem' }
  | { cmd: 'cpu' }
  | { cmd: 'connections' }
  | { cmd: 'burst'; count: number }
  | { cmd: 'steady'; rate: number; seconds: number };

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

// Let --cpu-prof write its profile when the orchestrator stops a profiled server.
process.on('SIGINT', () => process.exit(0));
