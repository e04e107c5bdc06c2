export type { SseEvent } from './sse-event.js';
export {
  encodeEvent,
  encodeData,
  encodeComment,
  encodeDataLines,
  dataToText,
  KEEPALIVE_FRAME,
  ID_LINE_PREFIX,
} from './encode-event.js';
export { assertEventId, assertEventName, assertRetry } from './validate-fields.js';
export type { SseEventMap, SseEventOf, TypedSseEvent, TypedPublishArgs } from './typed-events.js';
export {
  parseLastEventId,
  readResumePoint,
  MAX_LAST_EVENT_ID_BYTES,
  type ResumePoint,
} from './last-event-id.js';
export { eventStreamHeaders } from './response-headers.js';
