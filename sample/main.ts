import 'reflect-metadata';
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

/**
 * The sample app. Environment: PORT (3000), PLATFORM=express|fastify, HTTP2=1 (Fastify, TLS:
 * TLS_CERT/TLS_KEY files, else a self-signed certificate made at start), REDIS_URL (Redis
 * transport), WORKERS=n (node:cluster).
 */
const port = Number(process.env.PORT ?? 3000);
const workers = Number(process.env.WORKERS ?? 1);
const platform = process.env.PLATFORM === 'fastify' ? 'fastify' : 'express';
const http2 = process.env.HTTP2 === '1';

async function tls(): Promise<{ key: string; cert: string }> {
  if (process.env.TLS_CERT && process.env.TLS_KEY) {
    return {
      cert: readFileSync(process.env.TLS_CERT, 'utf8'),
      key: readFileSync(process.env.TLS_KEY, 'utf8'),
    };
  }
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
  });
  return { key: pems.private, cert: pems.cert };
}

async function createApp(): Promise<INestApplication> {
  if (platform === 'express') {
    if (http2) throw new Error('HTTP2=1 needs PLATFORM=fastify');
    return NestFactory.create(AppModule);
  }
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const adapter = http2
    ? new FastifyAdapter({ http2: true, https: { allowHTTP1: true, ...(await tls()) } } as never)
    : new FastifyAdapter();
  return NestFactory.create(AppModule, adapter as never);
}

async function bootstrap(): Promise<void> {
  const app = await createApp();
  app.enableShutdownHooks();
  await app.listen(port, '0.0.0.0');
  const scheme = http2 ? 'https' : 'http';
  Logger.log(
    `Sample listening on ${scheme}://localhost:${port} (${platform}${http2 ? ', HTTP/2' : ''}, ` +
      `${process.env.REDIS_URL ? 'Redis' : 'in-memory'} transport, pid ${process.pid})`,
    'Sample',
  );
}

if (workers > 1 && cluster.isPrimary) {
  if (!process.env.REDIS_URL)
    Logger.warn('WORKERS > 1 without REDIS_URL: each worker only sees its own publishes', 'Sample');
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code) =>
    Logger.warn(`worker ${worker.process.pid} exited (${code})`, 'Sample'),
  );
} else {
  void bootstrap();
}
