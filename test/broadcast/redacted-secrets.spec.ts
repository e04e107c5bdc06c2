import { inspect } from 'node:util';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedisTransport, SseConnectError, SseModule, type SseLogger } from '../../src/index.js';
import { createTransport } from '../../src/broadcast/index.js';
import { CapturingLogger } from '../helpers/capturing-logger.js';
import { startApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { freePort, OwnRedisServer } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';
import { CREDENTIALED_URL, LeakyEndpoint, SECRET } from '../fixtures/leaky-endpoint.js';

/** Every line logged, and the messages of the errors thrown, must keep secrets out. */
function expectNoSecret(text: string): void {
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain('user:');
}

describe('secrets never reach errors or logs', () => {
  it('an unknown transport type names the type and the host, not the URL credentials', () => {
    let message = '';
    try {
      createTransport({ type: 'reddis', url: CREDENTIALED_URL } as never);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      `Unknown SSE transport { type: "reddis", url: redis://***@127.0.0.1:6390 }: use { type: 'memory' } or { type: 'redis' }`,
    );
    expectNoSecret(message);
  });

  it('nor does Nest startup with that option, in the error or the log', async () => {
    @Module({
      imports: [
        SseModule.forRoot({ transport: { type: 'reddis', url: CREDENTIALED_URL } as never }),
      ],
    })
    class BadTransportModule {}
    const logger = new CapturingLogger();
    const error = await NestFactory.create(BadTransportModule, {
      logger,
      abortOnError: false,
    }).then(
      () => new Error('started'),
      (thrown: Error) => thrown,
    );
    expect(error.message).toMatch(/Unknown SSE transport/);
    expectNoSecret(`${error.message}\n${error.stack}`);
    expectNoSecret(logger.messages().join('\n'));
  });

  it('a failed Redis connection to a URL with credentials logs no credentials, nor does a publish that fails', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const logger: SseLogger = {
      log: (message) => lines.push(message),
      warn: (message) => lines.push(message),
      error: (message, stack) => lines.push(`${message}\n${stack ?? ''}`),
    };
    const transport = new RedisTransport({
      url: `redis://user:${SECRET}@127.0.0.1:${port}`,
      publishTimeout: 200,
      channelPrefix: `secrets-${process.pid}:`,
    });
    await transport.start(() => undefined, logger);
    try {
      await waitUntil(() => lines.some((line) => line.includes('connection failed')), 'the log');
      const failure = await transport.publish('news', Buffer.from('x')).then(
        () => new Error('published'),
        (thrown: Error) => thrown,
      );
      expect(failure.message).toMatch(/not accepted within 200 ms/);
      expectNoSecret(`${failure.message}\n${failure.stack}`);
      expectNoSecret(lines.join('\n'));
    } finally {
      await transport.close();
    }
  });

  it('a failFast startup refused for a wrong password names it nowhere: not in the error, nor in its cause (the client attaches the AUTH command)', async () => {
    const server = await OwnRedisServer.start(['--requirepass', 'right-password']);
    const transport = new RedisTransport({
      url: `redis://user:${SECRET}@127.0.0.1:${server.port}`,
      publishTimeout: 500,
      failFast: true,
    });
    try {
      const failure = await transport
        .start(() => undefined, new CapturingLogger())
        .then(
          () => new Error('started'),
          (thrown: Error) => thrown,
        );
      expect(failure).toBeInstanceOf(SseConnectError);
      // Refused, not timed out: at once, with Redis's refusal as the cause.
      expect((failure as SseConnectError).timedOut).toBe(false);
      expect(String((failure.cause as Error).message)).toMatch(/^WRONGPASS/);
      expectNoSecret(inspect(failure, { depth: 10 }));
    } finally {
      await transport.close();
      await server.kill();
    }
  });

  it('an error an endpoint throws is logged with the URL credentials in it hidden', async () => {
    @Module({ imports: [SseModule.forRoot()], providers: [LeakyEndpoint] })
    class LeakyModule {}
    const logger = new CapturingLogger();
    const server = await startApp(LeakyModule, 'express', undefined, logger);
    try {
      const client = await RawSseClient.open(`${server.url}/leaky`);
      await client.waitForEnd();
      await waitUntil(
        () => logger.messages('error').some((m) => m.includes('cannot reach')),
        'the log',
      );
      const logged = logger.messages('error').find((m) => m.includes('cannot reach'))!;
      expect(logged).toContain('cannot reach redis://***@127.0.0.1:6390/0?password=***');
      expectNoSecret(logger.messages().join('\n'));
    } finally {
      await server.close();
    }
  });
});
