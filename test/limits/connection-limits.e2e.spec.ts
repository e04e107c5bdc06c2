import { connect } from 'node:net';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { sleep, waitUntil } from '../helpers/wait.js';
import { PLATFORMS } from '../helpers/platforms.js';
import { useRobustApp } from '../helpers/use-robust-app.js';

describe.each(PLATFORMS)('connection limits on %s', (platform) => {
  const app = useRobustApp(platform);

  it('answers 503 with Retry-After over maxConnections, and frees the slot when a client leaves', async () => {
    const first = await RawSseClient.open(`${app.server.url}/limited`);
    const second = await RawSseClient.open(`${app.server.url}/limited`);
    const third = await RawSseClient.open(`${app.server.url}/limited`);
    await third.waitForEnd();
    expect([first.status, second.status, third.status]).toEqual([200, 200, 503]);
    expect(third.headers['retry-after']).toBe('5');
    expect(app.metrics.snapshot().rejected).toBe(1);
    first.close();
    await waitUntil(() => app.hooks.of('/limited').length === 1, 'the slot to free');
    const fourth = await RawSseClient.open(`${app.server.url}/limited`);
    expect(fourth.status).toBe(200);
    expect(app.metrics.snapshot().byEndpoint['/limited']).toBe(2);
    second.close();
    fourth.close();
  });

  it('answers 429 over maxConnectionsPerKey, per key, with the count right after a client leaves', async () => {
    const ada = await RawSseClient.open(`${app.server.url}/per-user?user=ada`);
    const again = await RawSseClient.open(`${app.server.url}/per-user?user=ada`);
    await again.waitForEnd();
    const bob = await RawSseClient.open(`${app.server.url}/per-user?user=bob`);
    const anonymous = [1, 2].map(() => RawSseClient.open(`${app.server.url}/per-user`));
    expect([ada.status, again.status, bob.status]).toEqual([200, 429, 200]);
    expect((await Promise.all(anonymous)).map((c) => c.status)).toEqual([200, 200]);
    ada.close();
    await waitUntil(() => app.hooks.of('/per-user').length === 1, 'ada to leave');
    const adaAgain = await RawSseClient.open(`${app.server.url}/per-user?user=ada`);
    expect(adaAgain.status).toBe(200);
    [bob, adaAgain, ...(await Promise.all(anonymous))].forEach((c) => c.close());
  });

  it('frees everything when the client leaves while an async authorize runs', async () => {
    const port = Number(new URL(app.server.url).port);
    const socket = connect(port, '127.0.0.1');
    socket.write('GET /slow-authorize HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(20);
    socket.destroy(); // gone before authorize resolves
    await sleep(300);
    expect(app.metrics.snapshot().byEndpoint['/slow-authorize']).toBeUndefined();
    const next = await RawSseClient.open(`${app.server.url}/slow-authorize`);
    expect(next.status).toBe(200); // the slot (maxConnections: 1) was released
    next.close();
    await waitUntil(() => app.metrics.snapshot().connections === 0, 'all closed');
  });
});
