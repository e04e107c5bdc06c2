/**
 * The bytes of one message on a Redis channel: a short header, then the SSE frame exactly as
 * every connection receives it, so subscribers write it out without re-encoding.
 *
 *     SSE1\n<frame>                  no exclusions
 *     SSE1 ["id-1","id-2"]\n<frame>  connections that must not receive it
 */
const MAGIC = Buffer.from('SSE1');
const PLAIN_HEADER = Buffer.from('SSE1\n');
const SPACE = 0x20;
const LF = 0x0a;

export interface DecodedMessage {
  frame: Buffer;
  except: readonly string[] | undefined;
}

export function encodeRedisMessage(frame: Buffer, except?: readonly string[]): Buffer {
  if (!except || except.length === 0) return Buffer.concat([PLAIN_HEADER, frame]);
  return Buffer.concat([Buffer.from(`SSE1 ${JSON.stringify(except)}\n`), frame]);
}

/** `null` for anything that is not a message of ours (another publisher, garbage). */
export function decodeRedisMessage(message: Buffer): DecodedMessage | null {
  if (message.length < MAGIC.length + 3 || MAGIC.compare(message, 0, MAGIC.length) !== 0)
    return null;
  const marker = message[MAGIC.length];
  let except: string[] | undefined;
  let frameStart: number;
  if (marker === LF) {
    frameStart = MAGIC.length + 1;
  } else if (marker === SPACE) {
    const end = message.indexOf(LF, MAGIC.length + 1);
    if (end === -1) return null;
    try {
      const parsed: unknown = JSON.parse(message.toString('utf8', MAGIC.length + 1, end));
      if (!Array.isArray(parsed) || !parsed.every((id) => typeof id === 'string')) return null;
      except = parsed;
    } catch {
      return null;
    }
    frameStart = end + 1;
  } else {
    return null;
  }
  const frame = message.subarray(frameStart);
  // A frame is complete only if it ends with a blank line; anything else would corrupt streams.
  if (frame.length < 2 || frame[frame.length - 1] !== LF || frame[frame.length - 2] !== LF)
    return null;
  return { frame, except };
}
