import { NestFactory } from '@nestjs/core';
import { BroadcastService } from '../../src/index.js';
import {
  FeaturePublisher,
  NoRootAppModule,
  NonGlobalAppModule,
  NonGlobalAsyncAppModule,
  OutsiderAppModule,
  SharedRootAppModule,
  TwiceAppModule,
} from '../fixtures/module-imports-app.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { waitUntil } from '../helpers/wait.js';

describe.each(PLATFORMS)('SseModule.forRoot({ isGlobal: false }) on %s', (platform) => {
  describe.each([
    ['forRoot', NonGlobalAppModule],
    ['forRootAsync', NonGlobalAsyncAppModule],
  ])('with %s in the root and plain SseModule in the feature module', (_name, module) => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startApp(module, platform);
    });
    afterAll(() => server.close());

    it("serves the feature's endpoint and delivers what the feature's BroadcastService publishes", async () => {
      const client = await RawSseClient.open(`${server.url}/feature/news`);
      await client.waitForEvents(1);
      expect(client.status).toBe(200);
      const publisher = server.app.get(FeaturePublisher);
      expect(publisher.broadcast).toBe(server.app.get(BroadcastService, { strict: false }));
      await waitUntil(() => publisher.broadcast.localCount('news') === 1, 'the join');
      await publisher.broadcast.publish('news', 'from the feature');
      await client.waitForEvents(2);
      expect(client.events.map((e) => e.data)).toEqual(['ready', 'from the feature']);
      client.close();
    });
  });
});

describe('SseModule imports', () => {
  it('with isGlobal: false, BroadcastService is not injectable where SseModule is not imported', async () => {
    await expect(
      NestFactory.create(OutsiderAppModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(/Outsider/);
  });

  it('fails at startup when SseModule.forRoot() is imported twice, naming the importers and the fix', async () => {
    const app = await NestFactory.create(TwiceAppModule, { logger: false, abortOnError: false });
    const init = app.init();
    await expect(init).rejects.toThrow(
      /SseModule\.forRoot\(\) is imported 2 times \(in FirstFeatureModule, SecondFeatureModule\)/,
    );
    await expect(init).rejects.toThrow(/once, in the root module: it is global by default/);
    await app.close();
  });

  it('accepts one forRoot() object imported by two modules', async () => {
    const server = await startApp(SharedRootAppModule, 'express');
    const client = await RawSseClient.open(`${server.url}/feature/news`);
    await client.waitForEvents(1);
    expect(client.events[0].data).toBe('ready');
    client.close();
    await server.close();
  });

  it('fails with what to do when plain SseModule is imported without forRoot()', async () => {
    await expect(
      NestFactory.create(NoRootAppModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(/SseModule is imported without SseModule\.forRoot\(\)/);
  });
});
