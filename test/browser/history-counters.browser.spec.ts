import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { BroadcastService } from '../../src/index.js';
import { historyCounterOf } from '../../src/broadcast/history/history-counter.js';
import { startApp, type TestApp } from '../helpers/platforms.js';
import { StreamEndpoint, streamApp } from '../helpers/stream-app.js';
import { launchChromium } from './chromium.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Two channels on two different counters of 4. */
function channelsOnTwoCounters(): string[] {
  const first = 'room:0';
  for (let i = 1; ; i++)
    if (historyCounterOf(`room:${i}`, 4) !== historyCounterOf(first, 4))
      return [first, `room:${i}`];
}

describe("Chromium's EventSource resumes channels of two id counters from its one Last-Event-ID", () => {
  let browser: Browser;
  let app: TestApp;
  beforeAll(async () => {
    browser = await launchChromium();
    app = await startApp(
      streamApp({
        transport: {
          type: 'redis',
          url: REDIS_URL,
          channelPrefix: `browser:${randomUUID()}:`,
          historyCounters: 4,
        },
        history: { size: 100, channels: (channel) => channel.startsWith('room:') },
      }) as never,
      'express',
    );
  });
  afterAll(async () => {
    await app?.close();
    await browser?.close();
  });

  it('gets every event once across a drop, with replayGap false', async () => {
    const channels = channelsOnTwoCounters();
    const publish = (channel: string, data: string) =>
      app.app.get(BroadcastService).publish(channel, data);
    const page = await browser.newPage();
    await page.goto(`${app.url}/nothing-here`);
    await page.evaluate(
      (url) => {
        const log: { data: string; lastEventId: string; type: string }[] = [];
        (window as unknown as { log: typeof log }).log = log;
        const source = new EventSource(url);
        source.onmessage = (event) =>
          log.push({ type: 'message', data: event.data as string, lastEventId: event.lastEventId });
        source.addEventListener('ready', (event) =>
          log.push({
            type: 'ready',
            data: (event as MessageEvent).data as string,
            lastEventId: '',
          }),
        );
      },
      `${app.url}/stream?channels=${channels.join(',')}`,
    );
    const logOf = () =>
      page.evaluate(
        () =>
          (window as unknown as { log: { data: string; lastEventId: string; type: string }[] }).log,
      );
    const until = async (
      what: string,
      check: (log: Awaited<ReturnType<typeof logOf>>) => boolean,
    ) => {
      const end = Date.now() + 10_000;
      while (!check(await logOf())) {
        if (Date.now() > end)
          throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(await logOf())}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await until('ready', (log) => log.some((e) => e.type === 'ready'));
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) {
      sent.push(`${channels[i % 2]}#${i}`);
      await publish(channels[i % 2], sent[i]);
    }
    await until('the first events', (log) => log.filter((e) => e.type === 'message').length === 6);
    // The server drops the stream; events are published while the browser is away.
    for (const connection of app.app.get(StreamEndpoint).connections) connection.close();
    for (let i = 6; i < 12; i++) {
      sent.push(`${channels[i % 2]}#${i}`);
      await publish(channels[i % 2], sent[i]);
    }
    await until(
      'the resumed events',
      (log) => log.filter((e) => e.type === 'message').length >= 12,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const log = await logOf();
    const messages = log.filter((e) => e.type === 'message');
    expect([...messages.map((e) => e.data)].sort()).toEqual([...sent].sort());
    for (const channel of channels)
      expect(messages.map((e) => e.data).filter((d) => d.startsWith(`${channel}#`))).toEqual(
        sent.filter((d) => d.startsWith(`${channel}#`)),
      );
    // Each event's last event ID is the position over both counters.
    for (const message of messages) expect(message.lastEventId.split('_')).toHaveLength(2);
    const readies = log.filter((e) => e.type === 'ready').map((e) => JSON.parse(e.data));
    expect(readies.map((r) => r.replayGap)).toEqual([null, false]);
    await page.close();
  });
});
