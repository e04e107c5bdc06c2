import { healthApp } from '../fixtures/health-app.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { freePort } from '../helpers/redis-server.js';

/** Tested with @nestjs/terminus 12 (the dev dependency); terminus 11 runs in `npm run test:nest11`. */
describe.each(PLATFORMS)('SseHealthIndicator with @nestjs/terminus on %s', (platform) => {
  let server: TestApp | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers 200 with sse up while the transport is up', async () => {
    server = await startApp(healthApp({}), platform);
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      info: { sse: { status: 'up', transport: 'up', connections: 0 } },
    });
  });

  it('answers 503 with sse down while the Redis transport cannot connect', async () => {
    const closedPort = await freePort();
    server = await startApp(
      healthApp({
        transport: {
          type: 'redis',
          url: `redis://127.0.0.1:${closedPort}`,
          channelPrefix: 'health:',
        },
      }),
      platform,
    );
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as Record<string, Record<string, { status: string }>>;
    expect(body.status).toBe('error');
    expect(body.error.sse).toMatchObject({ status: 'down', transport: 'down' });
    expect(body.details.sse.status).toBe('down');
  });
});
