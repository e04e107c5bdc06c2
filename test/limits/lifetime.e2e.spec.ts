import { RawSseClient } from '../helpers/raw-sse-client.js';
import { PLATFORMS } from '../helpers/platforms.js';
import { useRobustApp } from '../helpers/use-robust-app.js';

describe.each(PLATFORMS)('maxLifetime on %s', (platform) => {
  const app = useRobustApp(platform);

  it('ends a stream at maxLifetime (±10 %) with a retry hint, reason lifetime', async () => {
    const client = await RawSseClient.open(`${app.server.url}/short`);
    const opened = Date.now();
    await client.waitForEnd(4000);
    const lived = Date.now() - opened;
    expect(lived).toBeGreaterThan(850);
    expect(lived).toBeLessThan(2600); // 1 s ±10 %, then at most one tick of the shared one-second timer
    expect(client.raw).toBe('retry: 250\n\nretry: 250\n\n');
    expect(app.hooks.of('/short')).toEqual([{ endpoint: '/short', reason: 'lifetime' }]);
  });
});
