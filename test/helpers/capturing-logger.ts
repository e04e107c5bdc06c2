import type { LoggerService } from '@nestjs/common';

/** A Nest logger that records what was logged, for assertions; prints nothing. */
export class CapturingLogger implements LoggerService {
  readonly entries: { level: string; message: string; context?: string }[] = [];

  log(message: unknown, context?: string) {
    this.push('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.push('error', message, rest[rest.length - 1] as string);
  }
  warn(message: unknown, context?: string) {
    this.push('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.push('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.push('verbose', message, context);
  }

  messages(level?: string): string[] {
    return this.entries.filter((e) => !level || e.level === level).map((e) => e.message);
  }

  private push(level: string, message: unknown, context?: string) {
    this.entries.push({ level, message: String(message), context });
  }
}
