/** Redis Cluster's hash slots. @internal */
export const CLUSTER_SLOTS = 16384;

/** CRC16-XMODEM (polynomial 0x1021), the one Redis Cluster hashes keys with. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

function crc16(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++)
    crc = ((crc << 8) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]) & 0xff]) & 0xffff;
  return crc;
}

/**
 * The hash slot of a key or shard channel, as `CLUSTER KEYSLOT` computes it: of the part between
 * the first `{` and the next `}` when that part is not empty (a hash tag), else of the whole name.
 * @internal
 */
export function keySlot(name: string | Buffer): number {
  const bytes = typeof name === 'string' ? Buffer.from(name) : name;
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(bytes, open + 1, close) % CLUSTER_SLOTS;
  }
  return crc16(bytes, 0, bytes.length) % CLUSTER_SLOTS;
}
