import { SseMetrics } from '../../src/index.js';
import { Hooks, RobustModule } from '../fixtures/robustness-app.js';
import { CapturingLogger } from './capturing-logger.js';
import { startApp, type PlatformName, type TestApp } from './platforms.js';

export interface RobustApp {
  server: TestApp;
  hooks: Hooks;
  logger: CapturingLogger;
  metrics: SseMetrics;
}

/** Starts `RobustModule` on `platform` before each test and closes it after; read the fields in tests. */
export function useRobustApp(platform: PlatformName): RobustApp {
  const context = {} as RobustApp;
  beforeEach(async () => {
    context.logger = new CapturingLogger();
    context.server = await startApp(RobustModule, platform, undefined, context.logger);
    context.hooks = context.server.app.get(Hooks);
    context.metrics = context.server.app.get(SseMetrics);
  });
  afterEach(() => context.server.close());
  return context;
}
