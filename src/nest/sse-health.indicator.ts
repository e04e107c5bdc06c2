import type { SseMetrics } from './sse-metrics.js';

/** The shape `@nestjs/terminus` expects from an indicator: `{ [key]: { status, ...details } }`. */
export type SseHealthResult = Record<string, { status: 'up' | 'down'; [detail: string]: unknown }>;

/**
 * The error terminus 10 and earlier read `causes` from.
 * @deprecated `isHealthy` no longer throws it: it returns `{ [key]: { status: 'down' } }`, which
 * terminus 11 and 12 count as a failed check (terminus 12 answers 500 for a thrown error).
 */
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
 * A health indicator for `@nestjs/terminus` 11 and 12, without depending on it:
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.sseHealth.isHealthy('sse')]); }
 * ```
 */
export class SseHealthIndicator {
  constructor(private readonly metrics: SseMetrics) {}

  /**
   * `{ [key]: { status, transport, connections } }`, `status` being `'up'` or `'down'` as the
   * transport is: what `HealthIndicatorService.check(key).up()` / `.down()` build. Never throws:
   * `HealthCheckService.check` answers 503 for a `'down'` result (a thrown error is a 500 on
   * terminus 12).
   */
  async isHealthy(key = 'sse'): Promise<SseHealthResult> {
    const { transport, connections } = this.metrics.snapshot();
    return { [key]: { status: transport === 'up' ? 'up' : 'down', transport, connections } };
  }
}
