import { REJECTIONS } from './connection.messages.js';

/** An answer that refuses a stream before it opens. */
export interface SseRejection {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/** Seconds a refused client is told to wait (`Retry-After`). */
const RETRY_AFTER = { 'Retry-After': '5' };

/**
 * The open-stream limits of one endpoint in this process: `maxConnections` and
 * `maxConnectionsPerKey`. A slot is reserved synchronously when a request passes the check (so
 * concurrent requests cannot overshoot) and released when its stream closes or never opens.
 */
export class ConnectionLimits {
  private reserved = 0;
  private readonly perKey = new Map<string, number>();

  constructor(
    private readonly maxConnections: number | undefined,
    private readonly maxConnectionsPerKey: number | undefined,
  ) {}

  /** The refusal for a request with `key` (or none), given whether the server still accepts. */
  check(accepting: boolean, key: string | undefined): SseRejection | null {
    if (!accepting) return { status: 503, message: REJECTIONS.shuttingDown, headers: RETRY_AFTER };
    if (this.maxConnections !== undefined && this.reserved >= this.maxConnections) {
      return { status: 503, message: REJECTIONS.tooMany, headers: RETRY_AFTER };
    }
    if (
      this.maxConnectionsPerKey !== undefined &&
      key !== undefined &&
      (this.perKey.get(key) ?? 0) >= this.maxConnectionsPerKey
    ) {
      return { status: 429, message: REJECTIONS.tooManyForKey, headers: RETRY_AFTER };
    }
    return null;
  }

  reserve(key: string | undefined): void {
    this.reserved++;
    if (key !== undefined) this.perKey.set(key, (this.perKey.get(key) ?? 0) + 1);
  }

  release(key: string | undefined): void {
    this.reserved--;
    if (key === undefined) return;
    const left = (this.perKey.get(key) ?? 1) - 1;
    if (left === 0) this.perKey.delete(key);
    else this.perKey.set(key, left);
  }
}
