import { ID_LINE_PREFIX } from '../../protocol/index.js';
import { parseEventId, type EventId } from '../history/event-id.js';

/**
 * The bytes of one message on a Redis channel: a short header, then the SSE frame exactly as
 * every connection receives it, so subscribers write it out without re-encoding.
 *
 *     SSE1\n<frame>                        live only, no exclusions
 *     SSE1 ["id-1","id-2"]\n<frame>        connections that must not receive it
 *     SSE1#1732500000000-42-k3x9a0qz [...]\n<frame> a history event and its id (the frame's `id:` line)
 */
const MAGIC = Buffer.from('SSE1');
const PLAIN_HEADER = Buffer.from('SSE1\n');
const HASH = 0x23;
const SPACE = 0x20;
const LF = 0x0a;

export interface DecodedMessage {
  frame: Buffer;
  except: readonly string[] | undefined;
  id: string | undefined;
  /** `id`, parsed (the codec checks it is ours anyway). */
  parsedId: EventId | undefined;
}

/** The header's tail after the magic (and id): ` <except json>\n` or `\n`. */
function headerTail(except?: readonly string[]): string {
  return except && except.length > 0 ? ` ${JSON.stringify(except)}\n` : '\n';
}

/**
 * What the history script needs to build a message around the id it assigns:
 * `head + id + tail + idLine + id + '\n' + body` is `SSE1#<id>[ except]\n` then the frame with its
 * `id:` line first.
 */
export function historyMessageParts(except?: readonly string[]): {
  head: string;
  tail: string;
  idLine: string;
} {
  return { head: 'SSE1#', tail: headerTail(except), idLine: ID_LINE_PREFIX };
}

/** A live-only message (no history id). */
export function encodeRedisMessage(frame: Buffer, except?: readonly string[]): Buffer {
  if (!except || except.length === 0) return Buffer.concat([PLAIN_HEADER, frame]);
  return Buffer.concat([Buffer.from('SSE1' + headerTail(except)), frame]);
}

/** `null` for anything that is not a message of ours (another publisher, garbage). */
export function decodeRedisMessage(message: Buffer): DecodedMessage | null {
  if (message.length < MAGIC.length + 3 || MAGIC.compare(message, 0, MAGIC.length) !== 0)
    return null;
  let at = MAGIC.length;
  let id: string | undefined;
  let parsedId: EventId | undefined;
  if (message[at] === HASH) {
    let end = at + 1;
    while (end < message.length && message[end] !== SPACE && message[end] !== LF) end++;
    id = message.toString('latin1', at + 1, end);
    parsedId = parseEventId(id) ?? undefined;
    if (!parsedId) return null;
    at = end;
  }
  let except: string[] | undefined;
  if (message[at] === SPACE) {
    const end = message.indexOf(LF, at + 1);
    if (end === -1) return null;
    try {
      const parsed: unknown = JSON.parse(message.toString('utf8', at + 1, end));
      if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) return null;
      except = parsed;
    } catch {
      return null;
    }
    at = end;
  }
  if (message[at] !== LF) return null;
  const frame = message.subarray(at + 1);
  // A frame is complete only if it ends with a blank line; anything else would corrupt streams.
  if (frame.length < 2 || frame[frame.length - 1] !== LF || frame[frame.length - 2] !== LF)
    return null;
  return { frame, except, id, parsedId };
}
