import type { SseConnection } from './sse-connection.js';

/** Every open connection of one module (or one `createSseHandler`), by endpoint. */
export class ConnectionRegistry {
  private readonly all = new Set<SseConnection>();
  private readonly perEndpoint = new Map<string, number>();

  add(connection: SseConnection): void {
    this.all.add(connection);
    this.perEndpoint.set(connection.endpoint, (this.perEndpoint.get(connection.endpoint) ?? 0) + 1);
  }

  remove(connection: SseConnection): void {
    if (!this.all.delete(connection)) return;
    const left = (this.perEndpoint.get(connection.endpoint) ?? 1) - 1;
    if (left === 0) this.perEndpoint.delete(connection.endpoint);
    else this.perEndpoint.set(connection.endpoint, left);
  }

  get size(): number {
    return this.all.size;
  }

  countFor(endpoint: string): number {
    return this.perEndpoint.get(endpoint) ?? 0;
  }

  /** Path pattern → open connections. */
  byEndpoint(): Record<string, number> {
    return Object.fromEntries(this.perEndpoint);
  }

  connections(): IterableIterator<SseConnection> {
    return this.all.values();
  }
}
