import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BroadcastService, SseEndpoint, SseModule, type SseConnection } from '../../src/index.js';
import { serveBenchmark } from '../server-harness.js';

/**
 * (d, e, f) This library: PLATFORM=express|fastify, TRANSPORT=memory|redis, HISTORY=<size>;
 * CLUSTER_NODES=host:port,… puts the Redis transport on that cluster (sharded pub/sub);
 * HISTORY_COUNTERS=<n> sets `historyCounters`.
 */
@SseEndpoint('/sse')
class BenchEndpoint {}

/** Connections of the per-user workload that joined their channel. */
let usersJoined = 0;

/** The per-user workload: each connection in its own channel `user:<id>`. */
@SseEndpoint('/user/:id')
class UserEndpoint {
  async onConnect(sse: SseConnection) {
    await sse.join(`user:${String(sse.request.params.id)}`);
    usersJoined++;
  }
  onDisconnect() {
    usersJoined--;
  }
}

const redis = process.env.TRANSPORT === 'redis';
const clusterNodes = process.env.CLUSTER_NODES?.split(',');

@Module({
  imports: [
    SseModule.forRoot({
      transport: redis
        ? {
            type: 'redis',
            ...(clusterNodes
              ? { cluster: { nodes: clusterNodes } }
              : { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }),
            channelPrefix: process.env.CHANNEL_PREFIX ?? `bench:${randomUUID()}:`,
            ...(process.env.HISTORY_COUNTERS
              ? { historyCounters: Number(process.env.HISTORY_COUNTERS) }
              : {}),
          }
        : { type: 'memory' },
      history: process.env.HISTORY ? { size: Number(process.env.HISTORY) } : undefined,
    }),
  ],
  providers: [BenchEndpoint, UserEndpoint],
})
class BenchModule {}

const adapter =
  process.env.PLATFORM === 'fastify'
    ? new (await import('@nestjs/platform-fastify')).FastifyAdapter()
    : new (await import('@nestjs/platform-express')).ExpressAdapter();
const app = await NestFactory.create(BenchModule, adapter, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
const broadcast = app.get(BroadcastService);
serveBenchmark({
  port: (app.getHttpServer().address() as { port: number }).port,
  publish: (data) => broadcast.toEndpoint(BenchEndpoint, data),
  publishToUser: (user, data) => broadcast.publish(`user:${user}`, data),
  connections: () => broadcast.localCount('/sse') + usersJoined,
});
