/**
 * Which id counter a history channel's ids come from when history is spread over `counters`
 * counters (Redis `historyCounters`): FNV-1a (32 bits) of the channel's UTF-8 bytes, modulo
 * `counters`. Stable across processes and versions: every worker must agree. `undefined` with one
 * counter: ids then carry no counter (`<ms>-<seq>-<epoch>`, as before counters existed).
 */
export function historyCounterOf(channel: string, counters: number): number | undefined {
  if (counters <= 1) return undefined;
  let hash = 0x811c9dc5;
  for (let i = 0; i < channel.length; i++) {
    const code = channel.charCodeAt(i);
    // Past ASCII a character's UTF-8 bytes are not its code: hash the whole name's bytes.
    if (code > 0x7f) return fnv1a(Buffer.from(channel, 'utf8')) % counters;
    hash = Math.imul(hash ^ code, 0x01000193) >>> 0;
  }
  return hash % counters;
}

function fnv1a(bytes: Buffer): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/**
 * The most counters: a resume position names one id per counter, and 16 of them (at most 52
 * bytes each) stay well under the 1 KiB a `Last-Event-ID` may have.
 */
export const MAX_HISTORY_COUNTERS = 16;
