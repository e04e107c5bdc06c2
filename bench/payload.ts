/** Bytes of `data` in every benchmark event. */
export const PAYLOAD_BYTES = 100;
const PADDING = 'x'.repeat(PAYLOAD_BYTES);

/**
 * A 100-byte event payload carrying its sequence number and its publish time on the monotonic
 * clock (`process.hrtime`, CLOCK_MONOTONIC: the same clock in every process of the machine).
 * No quotes or newlines, so every library sends it unchanged (better-sse adds JSON quotes).
 */
export function payload(seq: number): string {
  const head = `s=${seq} t=${process.hrtime.bigint()} `;
  return head + PADDING.slice(head.length);
}
