import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

const port = Number(process.env.PORT ?? 3000);
const workers = Number(process.env.WORKERS ?? 1);

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  await app.listen(port);
  Logger.log(`Sample listening on http://localhost:${port} (pid ${process.pid})`, 'Sample');
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
