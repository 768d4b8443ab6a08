// The console in a real browser (Debian's chromium, driven by puppeteer-core): what the console
// tests share. Screenshots go to test-output/screenshots/ (not committed).
import { existsSync, mkdirSync } from 'node:fs';
import type { TestContext } from 'node:test';
import puppeteer, { type Page } from 'puppeteer-core';

export const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
export const screenshots = 'test-output/screenshots';

/** Clicks the button with this accessible name once it is there. */
export async function press(page: Page, name: string): Promise<void> {
  const selector = `::-p-aria([name="${name}"][role="button"])`;
  await page.waitForSelector(selector, { timeout: 10_000 });
  await page.click(selector);
}

/** A fresh browser page, closed after the test; `errors` collects script errors and CSP violations. */
export async function openPage(t: TestContext): Promise<{ page: Page; errors: string[] }> {
  mkdirSync(screenshots, { recursive: true });
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  // Refused requests (the wrong token, the refused edit) log a console error; a CSP violation or a script error is what must not happen.
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) errors.push(message.text());
  });
  return { page, errors };
}

/** Sets a field's value as pasting does (typing would press Enter at each line break). */
export function paste(page: Page, selector: string, value: string): Promise<unknown> {
  return page.evaluate(`(() => { const field = document.querySelector(${JSON.stringify(selector)}); field.value = ${JSON.stringify(value)}; field.dispatchEvent(new Event('input', { bubbles: true })); })()`);
}

/** Waits for the subscriptions list to show a row with this name (a form's input holding it does not count). */
export async function listed(page: Page, name: string): Promise<void> {
  await page.waitForFunction(`[...document.querySelectorAll('tr[data-subscription]')].some((row) => row.textContent.includes(${JSON.stringify(name)}))`, { timeout: 10_000 });
}

export async function text(page: Page, selector: string): Promise<string> {
  return String(await page.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? ''`));
}

