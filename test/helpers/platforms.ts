import type { INestApplication, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';

export type PlatformName = 'express' | 'fastify';

/** The platforms every e2e suite runs on. */
export const PLATFORMS: PlatformName[] = ['express', 'fastify'];

export interface TestApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** Starts `module` as a Nest app on an ephemeral port, on the given platform. */
export async function startApp(
  module: Type<unknown>,
  platform: PlatformName,
  configure?: (app: INestApplication) => void | Promise<void>,
  logger: LoggerService | false = false,
): Promise<TestApp> {
  const adapter = platform === 'express' ? new ExpressAdapter() : await fastifyAdapter();
  const app = await NestFactory.create(module, adapter as never, { logger });
  await configure?.(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

async function fastifyAdapter(): Promise<unknown> {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify' as string);
  return new FastifyAdapter();
}
