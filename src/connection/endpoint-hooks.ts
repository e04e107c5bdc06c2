import type { SseDisconnectReason } from './disconnect-reason.js';
import type { SseConnection } from './sse-connection.js';

/**
 * `onConnect` runs once per connection, after the stream is open (headers flushed). Under Nest,
 * parameters after `sse` may carry Nest's parameter decorators (`@Body()`, `@Query()`,
 * `@Param()`, `@Headers()`, `@Req()`, custom ones): they are resolved through the pipes before
 * the stream opens, so a failed validation answers 400 instead of opening it.
 */
export interface OnSseConnect<C extends SseConnection = SseConnection> {
  onConnect(sse: C, ...params: any[]): void | Promise<void>;
}

/**
 * `onDisconnect` runs exactly once per connection, synchronously, whatever closed it: the client,
 * `sse.close()`, shutdown, a slow consumer, `maxLifetime`, or `onConnect` failing.
 */
export interface OnSseDisconnect<C extends SseConnection = SseConnection> {
  onDisconnect(sse: C, reason: SseDisconnectReason): void;
}

/**
 * Runs before the stream opens, with the (not yet open) connection: return `false` to refuse
 * with 403. For checks that need route params or the user together (may this user join room 7?).
 */
export interface AuthorizeSse<C extends SseConnection = SseConnection> {
  authorize(sse: C): boolean | Promise<boolean>;
}

/** Any endpoint object: every hook is optional. */
export type SseEndpointHooks = Partial<
  OnSseConnect<any> & OnSseDisconnect<any> & AuthorizeSse<any>
>;
