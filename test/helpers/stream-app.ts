import { Module, type DynamicModule, type LoggerService } from '@nestjs/common';
import {
  SseEndpoint,
  SseModule,
  type OnSseConnect,
  type SseConnection,
  type SseModuleOptions,
} from '../../src/index.js';
import { startApp, type TestApp } from './platforms.js';

/**
 * A test endpoint: joins the channels named in `?channels=a,b` (replaying history when resumed),
 * replays `?replay=channel` on demand without joining it, then sends `ready` with its id and gaps,
 * then joins `?later=c,d` (each replaying on its own) and sends `joined-later`.
 */
@SseEndpoint('/stream', { retry: 100 })
export class StreamEndpoint implements OnSseConnect {
  readonly connections: SseConnection[] = [];

  async onConnect(sse: SseConnection): Promise<void> {
    this.connections.push(sse);
    for (const channel of String(sse.request.query.channels ?? '')
      .split(',')
      .filter(Boolean)) {
      await sse.join(channel);
    }
    const onDemand = sse.request.query.replay;
    const replayedGap =
      typeof onDemand === 'string' ? await sse.replay(onDemand, sse.lastEventId ?? '0-0') : null;
    await sse.sendEvent({
      event: 'ready',
      data: { id: sse.id, replayGap: sse.replayGap, replayedGap, pid: process.pid },
    });
    const later = String(sse.request.query.later ?? '')
      .split(',')
      .filter(Boolean);
    for (const channel of later) await sse.join(channel);
    if (later.length > 0) await sse.sendEvent({ event: 'joined-later', data: '' });
  }
}

/** An app module with `StreamEndpoint` and the given SseModule options. */
export function streamApp(options: SseModuleOptions): DynamicModule {
  @Module({})
  class StreamAppModule {}
  return {
    module: StreamAppModule,
    imports: [SseModule.forRoot(options)],
    providers: [StreamEndpoint],
  };
}

/**
 * An Express app with `StreamEndpoint` on a Redis Cluster (`failFast`, channels under `prefix`),
 * with the other module options given.
 */
export function startClusterStreamApp(
  nodes: { host: string; port: number }[],
  prefix: string,
  logger: LoggerService,
  options: Omit<SseModuleOptions, 'transport'> = {},
): Promise<TestApp> {
  return startApp(
    streamApp({
      transport: { type: 'redis', cluster: { nodes }, channelPrefix: prefix, failFast: true },
      ...options,
    }) as never,
    'express',
    undefined,
    logger,
  );
}
