import { BroadcastService } from '../../src/index.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { streamApp } from '../helpers/stream-app.js';

type Events = { notification: { text: string }; ping: undefined };

describe('broadcast.channel<Events>(name)', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startApp(streamApp({}), 'express');
  });
  afterAll(() => server.close());

  it('publishes { event, data } as publish(name, …) does; data-less events get an empty data line', async () => {
    const client = await RawSseClient.open(`${server.url}/stream?channels=user:42`);
    await client.waitFor((c) => c.events.some((e) => e.event === 'ready'));
    const user = server.app.get(BroadcastService).channel<Events>('user:42');
    expect(user.name).toBe('user:42');
    await user.publish('notification', { text: 'hi' });
    await user.publish('ping');
    await client.waitForEvents(3);
    expect(client.raw).toContain(
      'event: notification\ndata: {"text":"hi"}\n\nevent: ping\ndata: \n\n',
    );
    expect(client.events.slice(1).map((e) => [e.event, e.data])).toEqual([
      ['notification', '{"text":"hi"}'],
      ['ping', ''],
    ]);
    expect(() => server.app.get(BroadcastService).channel('')).toThrow(TypeError);
    client.close();
  });
});
