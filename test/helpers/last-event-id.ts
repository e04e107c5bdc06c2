/**
 * What a spec-conformant EventSource would send as `Last-Event-ID` after receiving `raw`: the
 * value of the last `id` field of a complete block (a block ends with a blank line). Per WHATWG,
 * the last event ID is set on every dispatch, also of a block with an `id` and no `data`.
 * `undefined`: no id seen (the header is then absent).
 */
export function lastEventIdOf(raw: string, initial?: string): string | undefined {
  let last = initial;
  for (const block of completeBlocks(raw)) {
    for (const line of block.split('\n')) {
      if (line === 'id' || line.startsWith('id:')) {
        const value = line.slice(3).replace(/^ /, '');
        if (!value.includes('\0')) last = value;
      }
    }
  }
  return last;
}

/** The complete blocks of an event stream (LF line endings, as this library writes them). */
export function completeBlocks(raw: string): string[] {
  const blocks = raw.split('\n\n');
  blocks.pop(); // what follows the last blank line: incomplete (or empty)
  return blocks.filter((block) => block.length > 0);
}
