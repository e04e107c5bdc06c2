import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { launchChromium, listItems, screenshot, watchErrors } from './chromium.js';
import { SampleProcess } from './sample-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function post(url: string, body: unknown): Promise<{ id?: string; worker: number }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { id?: string; worker: number };
}

describe('the sample in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  describe('on the in-memory transport (npm start)', () => {
    let sample: SampleProcess;
    beforeAll(async () => {
      sample = await SampleProcess.start({});
    });
    afterAll(() => sample.stop());

    it('renders broadcasts, reconnects by itself after the server drops it, and resumes with no gap', async () => {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.goto(`${sample.url}/`);
      await page.locator('#events-state', { hasText: 'open' }).waitFor();
      await page.locator('#notifications-state', { hasText: 'open' }).waitFor();
      await page.locator('#admin-state', { hasText: 'refused' }).waitFor();

      for (let i = 1; i <= 5; i++) await post(`${sample.url}/broadcast`, { message: `m${i}` });
      await page.locator('#events-log li', { hasText: ': m5 ·' }).waitFor();
      await post(`${sample.url}/streams/drop`, {});
      for (let i = 6; i <= 10; i++) await post(`${sample.url}/broadcast`, { message: `m${i}` });
      await page.locator('#events-reconnects', { hasText: '1' }).waitFor();
      await page.locator('#events-log li', { hasText: ': m10 ·' }).waitFor();

      const received = (await listItems(page, 'events-log'))
        .map((text) => /^broadcast #\S+: (m\d+) ·/.exec(text)?.[1])
        .filter(Boolean);
      expect(received).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10']);
      const hello = (await listItems(page, 'events-log')).filter((text) =>
        text.startsWith('hello'),
      );
      expect(hello[1]).toMatch(/resumed from \d+-\d+-[0-9a-z]+, gap false/);

      await page.fill('#notify-message', 'from the form');
      await page.click('#notify-form button');
      await page.locator('#notifications-log li', { hasText: 'from the form' }).waitFor();
      await screenshot(page, 'sample-memory');
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  describe('clustered on Redis (REDIS_URL, WORKERS=2)', () => {
    let sample: SampleProcess;
    beforeAll(async () => {
      sample = await SampleProcess.start(
        { REDIS_URL, WORKERS: '2', CHANNEL_PREFIX: `browser:${randomUUID()}:` },
        2,
      );
    });
    afterAll(() => sample.stop());

    it('shows an event published to one worker on a page whose stream another worker serves', async () => {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.goto(`${sample.url}/`);
      await page.locator('#events-log li', { hasText: 'hello' }).waitFor();
      const hello = (await listItems(page, 'events-log'))[0];
      const streamWorker = Number(/worker (\d+)/.exec(hello)![1]);
      let publisher = streamWorker;
      for (let i = 0; i < 30 && publisher === streamWorker; i++) {
        publisher = (await post(`${sample.url}/broadcast`, { message: `try${i}` })).worker;
      }
      expect(publisher).not.toBe(streamWorker);
      await page
        .locator('#events-log li', { hasText: `worker ${publisher}` })
        .first()
        .waitFor();
      await screenshot(page, 'sample-cluster');
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  describe('HTTP/2 against HTTP/1.1: ten EventSources on one page', () => {
    it('all ten receive an event over HTTP/2 (Fastify, TLS)', async () => {
      const sample = await SampleProcess.start({ PLATFORM: 'fastify', HTTP2: '1' });
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        await page.goto(`${sample.url}/?streams=10`);
        expect(
          await page.evaluate(
            () =>
              (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming)
                .nextHopProtocol,
          ),
        ).toBe('h2');
        await page.waitForFunction(
          () =>
            document.querySelectorAll('#multi span').length === 10 &&
            [...document.querySelectorAll('#multi span')].every((s) =>
              s.textContent!.endsWith('open'),
            ),
        );
        await page.evaluate(() =>
          fetch('/broadcast', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"message":"over h2"}',
          }),
        );
        await page.locator('#multi-received', { hasText: '10' }).waitFor();
        await screenshot(page, 'sample-http2-10-streams');
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await sample.stop();
      }
    });

    it('only six connect over HTTP/1.1, the browser limit per origin', async () => {
      const sample = await SampleProcess.start({ PLATFORM: 'fastify' });
      const page = await browser.newPage();
      try {
        const errors = watchErrors(page);
        await page.goto(`${sample.url}/?streams=10`);
        await page.waitForFunction(
          () =>
            [...document.querySelectorAll('#multi span')].filter((s) =>
              s.textContent!.endsWith('open'),
            ).length === 6,
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
        const open = await page.locator('#multi span', { hasText: 'open' }).count();
        expect(open).toBe(6);
        // The page's own fetch would queue behind the six streams too: publish from outside.
        await post(`${sample.url}/broadcast`, { message: 'over h1' });
        await page.locator('#multi-received', { hasText: '6' }).waitFor();
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await page.locator('#multi-received').textContent()).toBe('6');
        await screenshot(page, 'sample-http1-six-streams');
        expect(errors).toEqual([]);
      } finally {
        await page.close();
        await sample.stop();
      }
    });
  });
});
