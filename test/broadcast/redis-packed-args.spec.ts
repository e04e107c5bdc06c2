import { Redis } from 'ioredis';
import { packArgs, unpackLua } from '../../src/broadcast/redis/redis-packed-args.js';
import { unpacked } from './packed-args.js';

describe("packArgs (a script call's per-message arguments as one Redis argument)", () => {
  it.each([
    { what: 'ASCII strings', values: ['a', 'bc'], fields: ['a', 'bc'], bytes: 4 + 1 + 4 + 2 },
    { what: 'an empty string', values: ['', 'x'], fields: ['', 'x'], bytes: 4 + 0 + 4 + 1 },
    { what: 'UTF-8 (lengths in bytes)', values: ['é€😀'], fields: ['é€😀'], bytes: 4 + 2 + 3 + 4 },
    // Lengths are in UTF-8 bytes at every boundary of ASCII.
    { what: '64 ASCII characters', values: ['a'.repeat(64)], fields: ['a'.repeat(64)], bytes: 68 },
    { what: '65 ASCII characters', values: ['a'.repeat(65)], fields: ['a'.repeat(65)], bytes: 69 },
    { what: 'DEL, the last ASCII code', values: ['\x7f'], fields: ['\x7f'], bytes: 5 },
    { what: 'U+0080, the first code past it', values: ['\x80'], fields: ['\x80'], bytes: 6 },
    {
      what: 'a short string ending in non-ASCII',
      values: [`${'a'.repeat(63)}é`],
      fields: [`${'a'.repeat(63)}é`],
      bytes: 4 + 63 + 2,
    },
    { what: 'a lone surrogate (as U+FFFD)', values: ['a\ud800'], fields: ['a\ufffd'], bytes: 8 },
    {
      what: 'numbers as decimal text',
      values: [0, 1764554554000, -3],
      fields: ['0', '1764554554000', '-3'],
      bytes: 4 * 3 + 1 + 13 + 2,
    },
    {
      what: 'buffers as they are',
      values: [Buffer.from('data: x\n\n')],
      fields: ['data: x\n\n'],
      bytes: 4 + 9,
    },
  ])('packs $what: a 4-byte big-endian length, then the bytes', ({ values, fields, bytes }) => {
    const packed = packArgs(values);
    expect(packed.length).toBe(bytes);
    expect(unpacked(packed)).toEqual(fields);
  });

  it('keeps every byte of a binary buffer (no UTF-8 round trip)', () => {
    const binary = Buffer.from([0, 255, 0x0a, 0xc3, 0x28]);
    const packed = packArgs([binary, 'z']);
    expect(packed.readUInt32BE(0)).toBe(5);
    expect(packed.subarray(4, 9)).toEqual(binary);
  });

  describe('read back by Redis Lua (struct.unpack)', () => {
    let client: Redis;
    beforeAll(() => {
      client = new Redis({ host: '127.0.0.1', port: 6379 });
    });
    afterAll(() => client.quit());

    it.each([
      { count: 1, values: ['a', '', 'é€😀'] },
      { count: 3, values: ['k', Buffer.from([0, 10, 255]), 42, 'x', '', 7] },
    ])('gives Lua each field exactly, $count per message', async ({ count, values }) => {
      const lua = `local packed, at, out = ARGV[1], 1, {}
while at <= #packed do
  ${unpackLua(count)}
  for f = 1, ${count} do out[#out + 1] = fields[f] end
end
return out`;
      const fields = (await client.evalBuffer(lua, 0, packArgs(values))) as Buffer[];
      expect(fields).toEqual(
        values.map((value) => (Buffer.isBuffer(value) ? value : Buffer.from(String(value)))),
      );
    });
  });
});
