import { SseMetrics } from '../../src/index.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { sleep, waitUntil } from '../helpers/wait.js';
import { PLATFORMS } from '../helpers/platforms.js';
import { useRobustApp } from '../helpers/use-robust-app.js';

describe.each(PLATFORMS)('failing hooks on %s', (platform) => {
  const app = useRobustApp(platform);

  it('logs hooks that reject, hang or throw, calls onDisconnect once each, and keeps other streams up', async () => {
    const bystander = await RawSseClient.open(`${app.server.url}/plain`);
    await bystander.waitForEvents(1);

    const rejecting = await RawSseClient.open(`${app.server.url}/rejecting`);
    await rejecting.waitForEnd();
    expect(app.hooks.of('/rejecting')).toEqual([{ endpoint: '/rejecting', reason: 'error' }]);

    const hanging = await RawSseClient.open(`${app.server.url}/hanging`);
    await waitUntil(() => app.hooks.connects.length === 1, 'onConnect to start');
    hanging.close();
    await waitUntil(
      () => app.hooks.of('/hanging').length === 1,
      'onDisconnect while onConnect hangs',
    );
    app.hooks.releaseHang();
    await sleep(50);
    expect(app.hooks.of('/hanging')).toEqual([{ endpoint: '/hanging', reason: 'client' }]);

    const bad = await RawSseClient.open(`${app.server.url}/bad-disconnect`);
    await waitUntil(() => app.metrics.snapshot().byEndpoint['/bad-disconnect'] === 1, 'the stream');
    bad.close();
    await waitUntil(() => app.hooks.of('/bad-disconnect').length === 1, 'onDisconnect');
    await sleep(50);
    expect(app.hooks.of('/bad-disconnect')).toHaveLength(1);

    const errors = app.logger.messages('error').join('\n');
    expect(errors).toMatch(
      /onConnect of SSE endpoint Rejecting \(\/rejecting\) failed: rejected in onConnect/,
    );
    expect(errors).toMatch(
      /onDisconnect of SSE endpoint BadDisconnect \(\/bad-disconnect\) failed: thrown in onDisconnect/,
    );
    expect(errors).not.toMatch(/Hanging/);
    expect(bystander.ended).toBe(false);
    await app.server.app.get(SseMetrics); // still resolvable
    expect(app.metrics.snapshot().byEndpoint['/plain']).toBe(1);
    bystander.close();
  });
});
