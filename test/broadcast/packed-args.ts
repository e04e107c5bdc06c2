/** A packed argument (`packArgs`) as its fields' texts; any other argument as its text. */
export function unpacked(arg: unknown): string[] {
  if (!Buffer.isBuffer(arg)) return [String(arg)];
  const fields: string[] = [];
  for (let at = 0; at < arg.length;) {
    const length = arg.readUInt32BE(at);
    fields.push(arg.toString('utf8', at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields;
}
