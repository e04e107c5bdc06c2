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

/** The data of a block, or `null` for a block without data (a position block, `retry:`). */
export function dataOf(block: string): string | null {
  const lines = block.split('\n').filter((line) => line.startsWith('data:'));
  return lines.length === 0 ? null : lines.map((line) => line.slice(6)).join('\n');
}

/** The data of the blocks that carry some, in order. */
export function eventsOf(blocks: string[]): string[] {
  return blocks.map(dataOf).filter((data): data is string => !!data);
}

/** Events named `<channel>#…`, grouped by channel, each channel's in order. */
export function perChannel(events: string[], channels: string[]): Record<string, string[]> {
  return Object.fromEntries(
    channels.map((channel) => [channel, events.filter((e) => e.startsWith(`${channel}#`))]),
  );
}

/**
 * A replay (its blocks, `full`) cut after every block: for each cut, the events a resume from the
 * last id a client would have kept must give (the rest of the replay), and those `resume` gave.
 */
export async function resumesAtEveryCut(
  full: string[],
  startId: string,
  resume: (cut: number, lastEventId: string) => Promise<string[]>,
): Promise<{ cut: number; expected: string[]; got: string[] }[]> {
  const replayed = eventsOf(full);
  const results = [];
  for (let cut = 1; cut <= full.length; cut++) {
    const seen = full.slice(0, cut);
    const kept = lastEventIdOf(seen.join('\n\n') + '\n\n', startId)!;
    const rest = await resume(cut, kept);
    results.push({ cut, expected: replayed.slice(eventsOf(seen).length), got: eventsOf(rest) });
  }
  return results;
}
