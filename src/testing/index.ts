export { connectSse, type ConnectSseOptions, type SseTestApp } from './connect-sse.js';
export { SseTestStream, DEFAULT_EVENT_TIMEOUT, type WaitOptions } from './sse-test-stream.js';
export type { ReceivedSseEvent } from './received-event.js';
