import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { launchChromium, listItems, screenshot, watchErrors } from './chromium.js';
import { SampleProcess } from './sample-process.js';
import { FakeModel, type ModelStats } from '../../sample/fake-model.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function post(url: string, body: unknown): Promise<{ id?: string; worker: number }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { id?: string; worker: number };
}

async function until<T>(read: () => Promise<T>, holds: (value: T) => boolean, what: string) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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

  describe('the chat and a reload (npm start)', () => {
    let sample: SampleProcess;
    const stats = async () =>
      (await (await fetch(`${sample.url}/chat/stats`)).json()) as ModelStats;
    beforeAll(async () => {
      sample = await SampleProcess.start({});
    });
    afterAll(() => sample.stop());

    it('renders a POST /chat answer token by token as it streams', async () => {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.goto(`${sample.url}/`);
      await page.evaluate(() => {
        const counter = window as unknown as { answerUpdates: number };
        counter.answerUpdates = 0;
        new MutationObserver(() => counter.answerUpdates++).observe(
          document.getElementById('chat-answer')!,
          { childList: true, characterData: true, subtree: true },
        );
      });
      await page.fill('#chat-prompt', 'hello there');
      await page.fill('#chat-max-tokens', '40');
      await page.click('#chat-send');
      await page.locator('#chat-state', { hasText: 'streaming' }).waitFor();
      await page.locator('#chat-state', { hasText: 'done' }).waitFor();
      expect(await page.locator('#chat-tokens').textContent()).toBe('40');
      expect(await page.locator('#chat-answer').textContent()).toBe(
        FakeModel.answer('hello there', 40).join(''),
      );
      // Rendered as the tokens arrived (30 ms apart), not all at once at the end.
      const updates = await page.evaluate(
        () => (window as unknown as { answerUpdates: number }).answerUpdates,
      );
      expect(updates).toBeGreaterThan(10);
      expect(await stats()).toMatchObject({ completed: 1, cancelled: 0, active: 0, tokens: 40 });
      await screenshot(page, 'sample-chat');
      expect(errors).toEqual([]);
      await page.close();
    });

    it('Stop aborts the fetch and the server stops the model (its generator finally runs)', async () => {
      const before = await stats();
      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.goto(`${sample.url}/`);
      await page.fill('#chat-max-tokens', '2000');
      await page.click('#chat-send');
      await page.waitForFunction(
        () => Number(document.getElementById('chat-tokens')!.textContent) >= 5,
      );
      await page.click('#chat-stop');
      await page.locator('#chat-state', { hasText: 'stopped' }).waitFor();
      const shown = Number(await page.locator('#chat-tokens').textContent());
      const after = await until(
        stats,
        (s) => s.cancelled === before.cancelled + 1 && s.active === 0,
        'the model to be cancelled',
      );
      const produced = after.tokens - before.tokens;
      console.log(`chat Stop: ${shown} tokens shown, ${produced} of 2000 produced`);
      expect(produced).toBeLessThanOrEqual(shown + 5);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await stats()).tokens).toBe(after.tokens); // nothing more after the cancel
      expect(errors).toEqual([]);
      await page.close();
    });

    it('a reload on /events resumes from the id kept in sessionStorage: nothing missed, nothing twice', async () => {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.goto(`${sample.url}/`);
      await page.locator('#events-state', { hasText: 'open' }).waitFor();
      const ids: string[] = [];
      for (const message of ['r1', 'r2', 'r3'])
        ids.push((await post(`${sample.url}/broadcast`, { message })).id!);
      await page.locator('#events-log li', { hasText: ': r3 ·' }).waitFor();
      expect(
        await page.evaluate(() => sessionStorage.getItem('sse-demo:events:last-event-id')),
      ).toBe(ids[2]);

      // Published while the page reloads: after the old page's stream is gone, before the new
      // page's script opens its own.
      let reloading = false;
      await page.route('**/app.js', async (route) => {
        if (reloading)
          for (const message of ['r4', 'r5']) await post(`${sample.url}/broadcast`, { message });
        await route.continue();
      });
      reloading = true;
      await page.reload();
      await page.locator('#events-log li', { hasText: ': r5 ·' }).waitFor();
      await post(`${sample.url}/broadcast`, { message: 'r6' });
      await page.locator('#events-log li', { hasText: ': r6 ·' }).waitFor();

      const log = await listItems(page, 'events-log');
      const received = log
        .map((text) => /^broadcast #\S+: (r\d+) ·/.exec(text)?.[1])
        .filter(Boolean);
      expect(received).toEqual(['r4', 'r5', 'r6']);
      // The replay comes first, then onConnect's hello, which says where the stream resumed.
      expect(log.filter((text) => text.startsWith('hello'))).toEqual([
        expect.stringMatching(new RegExp(`^hello( #\\S+)?: resumed from ${ids[2]}, gap false`)),
      ]);
      await screenshot(page, 'sample-reload-resume');
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
