import { spawn, type ChildProcess } from 'node:child_process';

/** One compiled fixture app running as a separate Node process, stopped by its pid. */
export class WorkerProcess {
  output = '';
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static start(
    script: string,
    env: Record<string, string>,
    nodeArgs: string[] = [],
  ): Promise<WorkerProcess> {
    const child = spawn(process.execPath, [...nodeArgs, script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`${script} did not start:\n${output}`)),
        15000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /READY (\d+)/.exec(output);
        if (!match) return;
        clearTimeout(timer);
        const worker = new WorkerProcess(child, Number(match[1]));
        worker.output = output;
        child.stdout!.on('data', (c: Buffer) => (worker.output += c.toString()));
        child.stderr!.on('data', (c: Buffer) => (worker.output += c.toString()));
        resolve(worker);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resolves with the exit code (or signal) once the process has exited by itself. */
  exited(timeoutMs: number): Promise<string | number | null> {
    if (!this.alive) return Promise.resolve(this.child.signalCode ?? this.child.exitCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(signal ?? code);
      });
    });
  }

  async json<T>(path: string, body?: unknown): Promise<T> {
    const response =
      body === undefined ? await fetch(this.url + path) : await this.post(path, body);
    return (await response.json()) as T;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async post(path: string, body: unknown): Promise<Response> {
    return fetch(this.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /**
   * Sends SIGTERM and waits for the exit. Nest's shutdown hooks close the app, then re-raise
   * the signal, so a clean stop ends with signal `SIGTERM` (or code 0).
   */
  async stop(): Promise<string | number | null> {
    if (!this.alive) return this.child.signalCode ?? this.child.exitCode;
    return new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve(signal ?? code));
      process.kill(this.child.pid!, 'SIGTERM');
    });
  }

  /** Kills the process with SIGKILL (a crash: no shutdown hook runs) and waits for the exit. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      process.kill(this.child.pid!, 'SIGKILL');
    });
  }
}
