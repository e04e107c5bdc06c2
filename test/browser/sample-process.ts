import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from '../helpers/redis-server.js';

/** The compiled sample (`npm run build:sample`) in a process of its own, stopped by its pid. */
export class SampleProcess {
  output = '';
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly scheme: 'http' | 'https',
  ) {}

  static async start(env: Record<string, string>, listening = 1): Promise<SampleProcess> {
    const script = '.build/sample/main.js';
    if (!existsSync(script))
      throw new Error(`${script} is missing: run \`npm run build:sample\` first`);
    const port = await freePort();
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sample = new SampleProcess(child, port, env.HTTP2 === '1' ? 'https' : 'http');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the sample did not start:\n${sample.output}`)),
        20000,
      );
      const onData = (chunk: Buffer) => {
        sample.output += chunk.toString();
        if ((sample.output.match(/Sample listening/g) ?? []).length >= listening) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`the sample exited (${code}):\n${sample.output}`)),
      );
    });
    return sample;
  }

  get url(): string {
    return `${this.scheme}://localhost:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      process.kill(this.child.pid!, 'SIGTERM');
    });
  }
}
