import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroadcaster, type SseLogger } from '../../src/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { freePort } from '../helpers/redis-server.js';
import { startFailure } from '../helpers/start-failure.js';
import { serveChannel } from '../helpers/serve-channel.js';
import { selfSignedCertificate } from '../helpers/tls-certificate.js';
import { waitUntil } from '../helpers/wait.js';

const quiet: SseLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A `redis-server` of the test's own that speaks only TLS (a self-signed certificate made with
 * `openssl`) and knows only the ACL user `sse` (password `s3cret`): what a managed Redis with
 * in-transit encryption and AUTH looks like. Stopped by its pid.
 */
class TlsRedis {
  private constructor(
    readonly port: number,
    readonly ca: Buffer,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<TlsRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'sse-redis-tls-'));
    const { key, cert, ca } = selfSignedCertificate(dir);
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', '0', '--bind', '127.0.0.1', '--tls-port', String(port), '--tls-cert-file', cert]
        .concat(['--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no'])
        .concat(['--save', '', '--appendonly', 'no'])
        .concat([
          '--user',
          'sse',
          'on',
          '>s3cret',
          '~*',
          '&*',
          '+@all',
          '--user',
          'default',
          'off',
        ]),
      { stdio: 'ignore' },
    );
    const server = new TlsRedis(port, ca, child, dir);
    await waitUntil(() => server.handshakes(), 'redis-server accepting TLS', 5000);
    return server;
  }

  get url(): string {
    return `rediss://sse:s3cret@127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      process.kill(this.child.pid!, 'SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private handshakes(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: this.port, ca: this.ca }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  }
}

describe('Redis over TLS with an ACL user (rediss://, ioredis tls options)', () => {
  let redis: TlsRedis;

  beforeAll(async () => {
    redis = await TlsRedis.start();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('publishes, delivers and replays history through TLS', async () => {
    const broadcaster = await createBroadcaster({
      transport: {
        type: 'redis',
        url: redis.url,
        options: { tls: { ca: redis.ca } },
        failFast: true,
      },
      history: { size: 100 },
      logger: quiet,
    });
    const served = await serveChannel(broadcaster, 'news');
    try {
      expect(broadcaster.broadcast.transportState).toBe('up');
      const first = served.client;
      await broadcaster.broadcast.publish('news', { event: 'n', data: 'one' });
      await first.waitFor((c) => c.events.some((e) => e.data === 'one'), 5000, 'one');
      const lastId = first.events.find((e) => e.data === 'one')!.id!;
      first.close();
      await broadcaster.broadcast.publish('news', { event: 'n', data: 'two' });
      await broadcaster.broadcast.publish('news', { event: 'n', data: 'three' });
      const resumed = await RawSseClient.open(served.url, { 'last-event-id': lastId });
      await resumed.waitFor((c) => c.events.some((e) => e.event === 'ready'), 5000, 'ready');
      expect(resumed.events.filter((e) => e.event === 'n').map((e) => e.data)).toEqual([
        'two',
        'three',
      ]);
      resumed.close();
    } finally {
      await served.close();
      await broadcaster.close();
    }
  });

  it('a certificate it cannot verify fails startup at once (failFast) saying so, naming no password', async () => {
    const started = Date.now();
    const failure = await startFailure({
      transport: { type: 'redis', url: redis.url, failFast: true },
      publishTimeout: 5000,
      logger: new CapturingLogger(),
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(failure.timedOut).toBe(false);
    expect(failure.message).toBe(
      "Redis transport: the server's TLS certificate was not trusted (failFast): self-signed " +
        'certificate; check the tls options (ca, servername)',
    );
    expect(failure.message).not.toContain('s3cret');
  });

  it('a wrong password is refused at once (failFast), naming no password', async () => {
    const failure = await startFailure({
      transport: {
        type: 'redis',
        url: `rediss://sse:wrong-s3cret@127.0.0.1:${redis.port}`,
        options: { tls: { ca: redis.ca } },
        failFast: true,
      },
      publishTimeout: 2000,
      logger: new CapturingLogger(),
    });
    expect(failure.message).toMatch(
      /^Redis transport: Redis refused the login \(failFast\): WRONGPASS .*; check the username and password$/,
    );
    expect(failure.message).not.toContain('s3cret');
  });

  it('reached with redis:// (no TLS): the failFast error says the server speaks TLS', async () => {
    const failure = await startFailure({
      transport: {
        type: 'redis',
        url: `redis://sse:s3cret@127.0.0.1:${redis.port}`,
        failFast: true,
      },
      publishTimeout: 1000,
      logger: new CapturingLogger(),
    });
    expect(failure.message).toMatch(
      new RegExp(
        `^Redis transport: could not connect to Redis within 1000 ms \\(failFast\\): .+; ` +
          `127\\.0\\.0\\.1:${redis.port} speaks TLS: use a rediss:// URL or the tls option$`,
      ),
    );
    expect(failure.message).not.toContain('s3cret');
  });

  it('reached with redis:// without failFast: logged once, beside the connection error', async () => {
    const logger = new CapturingLogger();
    const broadcaster = await createBroadcaster({
      transport: { type: 'redis', url: `redis://sse:s3cret@127.0.0.1:${redis.port}` },
      publishTimeout: 1000,
      logger,
    });
    try {
      const hint = `Redis transport: 127.0.0.1:${redis.port} speaks TLS: use a rediss:// URL or the tls option; reconnecting`;
      await waitUntil(() => logger.messages('error').includes(hint), 'the hint logged', 5000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(logger.messages('error').filter((m) => m === hint)).toHaveLength(1);
      expect(logger.messages().join('\n')).not.toContain('s3cret');
    } finally {
      await broadcaster.close();
    }
  });
});
