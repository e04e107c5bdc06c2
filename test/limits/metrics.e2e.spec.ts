import { register } from 'prom-client';
import { SseHealthIndicator } from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { PLATFORMS } from '../helpers/platforms.js';
import { useRobustApp } from '../helpers/use-robust-app.js';

describe.each(PLATFORMS)('metrics, health and Prometheus on %s', (platform) => {
  const app = useRobustApp(platform);

  it('reports metrics, a health result, and Prometheus figures', async () => {
    const client = await RawSseClient.open(`${app.server.url}/plain`);
    await client.waitForEvents(1);
    const snapshot = app.metrics.snapshot();
    expect(snapshot).toMatchObject({
      connections: 1,
      byEndpoint: { '/plain': 1 },
      transport: 'up',
      eventsDropped: 0,
    });
    expect(snapshot.eventsSent).toBeGreaterThan(0);
    expect(snapshot.bytesWritten).toBeGreaterThan(0);
    expect(await app.server.app.get(SseHealthIndicator).isHealthy('sse')).toEqual({
      sse: { status: 'up', transport: 'up', connections: 1 },
    });
    const text = await register.metrics();
    expect(text).toMatch(/^sse_connections 1$/m);
    expect(text).toMatch(/^sse_endpoint_connections\{endpoint="\/plain"\} 1$/m);
    expect(text).toMatch(/^sse_events_sent_total \d+$/m);
    expect(text).toMatch(/^sse_transport_up 1$/m);
    client.close();
  });
});
