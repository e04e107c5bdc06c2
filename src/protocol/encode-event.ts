import type { SseEvent } from './sse-event.js';
import { assertEventId, assertEventName, assertRetry } from './validate-fields.js';

const LINE_BREAKS = /\r\n|\r|\n/;

/** The text an event's `data` is sent as: strings as they are, anything else as JSON. */
export function dataToText(data: unknown): string {
  if (typeof data === 'string') return data;
  const json = JSON.stringify(data);
  // JSON.stringify(undefined | function | symbol) is undefined: send an empty data line.
  return json === undefined ? '' : json;
}

/**
 * `data:` lines for a text: one line per CRLF/CR/LF-separated line, always with the space
 * after the colon so that a leading space in the text survives the client's parser.
 */
export function encodeDataLines(text: string): string {
  if (text.indexOf('\n') === -1 && text.indexOf('\r') === -1) return 'data: ' + text + '\n';
  const lines = text.split(LINE_BREAKS);
  let out = '';
  for (let i = 0; i < lines.length; i++) out += 'data: ' + lines[i] + '\n';
  return out;
}

/** How an event's `id` field starts; a history store writes it before an id it assigns. */
export const ID_LINE_PREFIX = 'id: ';

/**
 * Encodes one event as a complete frame (ending in a blank line), ready to be written in one
 * `write`. Throws `TypeError` for an `event`, `id` or `retry` that would corrupt the stream.
 */
export function encodeEvent(event: SseEvent): string {
  let frame = '';
  if (event.event !== undefined) {
    assertEventName(event.event);
    frame += 'event: ' + event.event + '\n';
  }
  if (event.id !== undefined) {
    assertEventId(event.id);
    frame += ID_LINE_PREFIX + event.id + '\n';
  }
  if (event.retry !== undefined) {
    assertRetry(event.retry);
    frame += 'retry: ' + event.retry + '\n';
  }
  if (event.data !== undefined) frame += encodeDataLines(dataToText(event.data));
  return frame + '\n';
}

/** A frame carrying only `data`: the fast path of `send(data)`. */
export function encodeData(data: unknown): string {
  return encodeDataLines(dataToText(data)) + '\n';
}

/** A comment frame (`: text`), ignored by clients; used for keepalive. */
export function encodeComment(text = ''): string {
  if (text === '') return ':\n\n';
  return (
    text
      .split(LINE_BREAKS)
      .map((line) => ': ' + line + '\n')
      .join('') + '\n'
  );
}

/** Pre-encoded keepalive comment, shared by every connection. */
export const KEEPALIVE_FRAME = Buffer.from(':\n\n');
