import { ConnectionLimits } from '../../src/connection/connection-limits.js';

describe('ConnectionLimits: maxConnections and maxConnectionsPerKey of one endpoint', () => {
  it.each<[string, number | undefined, number | undefined, (string | undefined)[], number[]]>([
    // name, maxConnections, maxConnectionsPerKey, keys reserved in order, statuses (0: admitted)
    ['no limits: everyone in', undefined, undefined, ['a', 'a', undefined], [0, 0, 0]],
    ['maxConnections 2: the third is 503', 2, undefined, ['a', 'b', 'c'], [0, 0, 503]],
    ['per key 1: the same key again is 429', undefined, 1, ['a', 'a', 'b'], [0, 429, 0]],
    [
      'per key: requests without a key are not counted',
      undefined,
      1,
      [undefined, undefined],
      [0, 0],
    ],
    ['503 wins over 429', 1, 1, ['a', 'a'], [0, 503]],
  ])('%s', (_, max, perKey, keys, statuses) => {
    const limits = new ConnectionLimits(max, perKey);
    const seen = keys.map((key) => {
      const refused = limits.check(true, key);
      if (!refused) limits.reserve(key);
      return refused?.status ?? 0;
    });
    expect(seen).toEqual(statuses);
  });

  it('a released slot is free again, for the key too', () => {
    const limits = new ConnectionLimits(1, 1);
    limits.reserve('a');
    expect(limits.check(true, 'a')?.status).toBe(503);
    limits.release('a');
    expect(limits.check(true, 'a')).toBeNull();
  });

  it('refuses everything with 503 and Retry-After once the server is shutting down', () => {
    expect(new ConnectionLimits(undefined, undefined).check(false, undefined)).toEqual({
      status: 503,
      message: 'The server is shutting down',
      headers: { 'Retry-After': '5' },
    });
  });
});
