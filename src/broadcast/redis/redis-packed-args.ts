/** An argument of a Redis script. @internal */
export type ScriptArg = string | Buffer | number;

/**
 * Many arguments as one Redis argument: each as its length (4 bytes, big-endian) then its bytes
 * (a string as UTF-8, a number as its decimal text). Lua reads them back with
 * `struct.unpack('>I4c0…', packed, at)` (see {@link unpackLua}). A script call carrying hundreds
 * of messages then costs the client one buffer to encode instead of one per argument — most of a
 * publish's CPU in the client before — and each field arrives in Lua exactly as it would have as
 * an argument of its own.
 * @internal
 */
export function packArgs(values: readonly ScriptArg[]): Buffer {
  const parts: (string | Buffer)[] = new Array(values.length);
  const lengths: number[] = new Array(values.length);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const part = typeof value === 'number' ? String(value) : value;
    const length = typeof part === 'string' ? Buffer.byteLength(part) : part.length;
    parts[i] = part;
    lengths[i] = length;
    size += 4 + length;
  }
  const packed = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    at = packed.writeUInt32BE(lengths[i], at);
    if (typeof part === 'string') at += packed.write(part, at);
    else at += part.copy(packed, at);
  }
  return packed;
}

/**
 * Lua that reads `count` packed fields at `at` of `packed` into the table `fields` and moves `at`
 * past them (the inverse of {@link packArgs}; `struct` ships with Redis's Lua).
 * @internal
 */
export function unpackLua(count: number): string {
  return `local fields = {struct.unpack('>${'I4c0'.repeat(count)}', packed, at)}
  at = fields[${count + 1}]`;
}
