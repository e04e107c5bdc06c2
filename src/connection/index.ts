export {
  SseConnection,
  type SseConnectionInit,
  type SseResponse,
  type EventMapOf,
} from './sse-connection.js';
export type { SsePipeSource } from './pipe/pipe-source.js';
export { isSseEventShaped, type SsePipeOptions } from './pipe/piped-event.js';
export type { ObservableLike } from './pipe/observable-iterator.js';
export {
  controllerOf,
  type ConnectionController,
  type SseCloseListener,
  type OpenOptions,
} from './connection-controller.js';
export type { SlowConsumerPolicy, WriteLimits } from './write-budget.js';
export { guardUserCallback } from './user-callback.js';
export { CHANNEL_NAME_REQUIRED } from './connection.messages.js';
export { SseClosedError } from './sse-closed.error.js';
export type { SseDisconnectReason } from './disconnect-reason.js';
export { SseRequest, type SseRequestInit } from './sse-request.js';
export { SSE_METHODS, isSseMethod, type SseMethod } from './sse-method.js';
export type {
  OnSseConnect,
  OnSseDisconnect,
  AuthorizeSse,
  SseEndpointHooks,
} from './endpoint-hooks.js';
export {
  resolveEndpointOptions,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_LAST_EVENT_ID_QUERY_PARAM,
  type SseEndpointOptions,
  type ResolvedEndpointOptions,
  type SseConnectionClass,
  type SseConnectionKey,
} from './endpoint-options.js';
export { EndpointRunner, type EndpointRuntime, type PrepareResult } from './endpoint-runner.js';
export type { SseRejection } from './connection-limits.js';
export { KeepaliveScheduler, type KeepaliveTarget } from './keepalive-scheduler.js';
export { LifetimeScheduler, type LifetimeTarget } from './lifetime-scheduler.js';
export { ConnectionRegistry } from './connection-registry.js';
export { ConnectionRuntime, type ConnectionRuntimeOptions } from './connection-runtime.js';
export { SseCounters } from './sse-counters.js';
export type { ChannelMember, ChannelMembership } from './channel-membership.js';
export { createSseHandler, type SseHandler, type SseHandlerOptions } from './create-sse-handler.js';
export {
  consoleLogger,
  describeError,
  guardLogger,
  isErrorLike,
  type SseLogger,
} from './sse-logger.js';
export { describeUrl, redactUrlCredentials } from './redact-secrets.js';
export { OutgoingFrame } from './outgoing-frame.js';
