import type { SseMetrics } from './sse-metrics.js';

/** The shape `@nestjs/terminus` expects from an indicator: `{ [key]: { status, ...details } }`. */
export type SseHealthResult = Record<string, { status: 'up' | 'down'; [detail: string]: unknown }>;

/** Thrown when the transport is down; terminus reads `causes` (it checks `isHealthCheckError`). */
export class SseHealthCheckError extends Error {
  readonly isHealthCheckError = true;
  constructor(
    message: string,
    readonly causes: SseHealthResult,
  ) {
    super(message);
  }
}

/**
 * A health indicator for `@nestjs/terminus`, without depending on it:
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.sse.isHealthy('sse')]); }
 * ```
 */
export class SseHealthIndicator {
  constructor(private readonly metrics: SseMetrics) {}

  /** `{ [key]: { status: 'up', transport, connections } }`, or throws `SseHealthCheckError` when down. */
  async isHealthy(key = 'sse'): Promise<SseHealthResult> {
    const { transport, connections } = this.metrics.snapshot();
    const result: SseHealthResult = {
      [key]: { status: transport === 'up' ? 'up' : 'down', transport, connections },
    };
    if (transport !== 'up') throw new SseHealthCheckError('SSE transport is down', result);
    return result;
  }
}
