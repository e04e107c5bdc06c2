import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (or CHROMIUM_PATH); a clear failure, never a silent skip, when it is missing. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `Chromium was not found at ${path}. The browser tests drive Debian's Chromium: install it with ` +
        '`apt-get update && apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
  return path;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Collects uncaught page errors; the demo must have none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync('test-artifacts', { recursive: true });
  const path = `test-artifacts/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The texts of a list's items, oldest first (the page prepends). */
export async function listItems(page: Page, id: string): Promise<string[]> {
  return (await page.locator(`#${id} li`).allTextContents()).reverse();
}
