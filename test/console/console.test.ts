// The console in a real browser (Debian's chromium, driven by puppeteer-core): sign in (and the
// wrong-token message), the file-managed subscription read-only, a Splunk HEC subscription created
// through the form delivering to a sink, suspended, an edit refused beside the field, a test event.
// Screenshots go to test-output/screenshots/ (not committed).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import puppeteer, { type Page } from 'puppeteer-core';
import { HttpSink } from '../helpers/http-sink.js';
import { opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const screenshots = 'test-output/screenshots';

async function text(page: Page, selector: string): Promise<string> {
  return String(await page.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? ''`));
}

test('the console: sign in, see the file subscription read-only, create a Splunk subscription, watch it deliver, suspend it, an edit error beside its field, a test event', async (t) => {
  assert.ok(chromium, 'chromium is installed (npm test installs it with apt-get)');
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const { adminUrl, ingestUrl } = await startGateway(t, {
    extra: `subscriptions:
  - id: from-file
    environment: prod
    httpEndpoint: { url: "${sink.url}/file" }
    filterOptions: { includedActionTypes: ["NOTHING.MATCHES"] }
`,
  });
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

  const response = await page.goto(`${adminUrl}/`, { waitUntil: 'networkidle0' });
  assert.equal(new URL(page.url()).pathname, '/console/');
  assert.match(response!.headers()['content-security-policy']!, /script-src 'self'/);
  assert.equal(response!.headers()['x-frame-options'], 'DENY');

  // A wrong token: a clear message, and nothing stored.
  await page.type('#token', 'not-the-token-at-all');
  await page.click('::-p-aria([name="Sign in"][role="button"])');
  await page.waitForSelector('[role=alert]');
  assert.match(await text(page, '[role=alert]'), /not valid/);
  assert.equal(await page.evaluate('sessionStorage.length'), 0);

  await page.evaluate("document.querySelector('#token').value = ''");
  await page.type('#token', opsToken);
  await page.click('::-p-aria([name="Sign in"][role="button"])');
  await page.waitForSelector('tr[data-subscription="from-file"]');
  assert.match(await text(page, 'tr[data-subscription="from-file"]'), /Defined in the configuration file: read-only here/);
  assert.equal(await page.$('tr[data-subscription="from-file"] button'), null, 'no suspend toggle for a file subscription');
  assert.ok(!page.url().includes(opsToken), 'the token is never in a URL');

  // Create a Splunk HEC subscription through the form.
  await page.click('::-p-aria([name="Add subscription"][role="button"])');
  await page.waitForSelector('#name');
  await page.type('#name', 'Splunk prod');
  await page.type('#url', `${sink.url}/services/collector/event`);
  await page.click('#events');
  await page.screenshot({ path: `${screenshots}/form.png`, fullPage: true });
  await page.click('::-p-aria([name="Save"][role="button"])');
  await page.waitForSelector('::-p-text(Splunk prod)');
  await sendEvents(ingestUrl, [{ id: 'c1', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }, { id: 'c2', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }]);
  await until(() => sink.requests.some((request) => request.body.includes('"c2"')), 10_000);
  assert.match(sink.requests.find((request) => request.body.includes('"c2"'))!.body, /"sourcetype":"pingone:activity"/, 'the Splunk HEC envelope');
  await page.waitForFunction("[...document.querySelectorAll('td[data-delivered]')].some((cell) => Number(cell.getAttribute('data-delivered')) >= 2)", { timeout: 10_000 });
  await page.screenshot({ path: `${screenshots}/list.png`, fullPage: true });

  // Suspend it: the state follows.
  await page.click('::-p-aria([name="Suspend Splunk prod"][role="button"])');
  await page.waitForFunction("[...document.querySelectorAll('tr[data-subscription]')].some((row) => row.textContent.includes('Splunk prod') && row.querySelector('[data-state=suspended]'))", { timeout: 10_000 });

  // Edit with a payload limit past 500: the API's problem shows beside the field.
  await page.click('::-p-text(Splunk prod)');
  await page.waitForSelector('::-p-aria([name="Send test event"][role="button"])');
  await page.click('::-p-aria([name="Edit"][role="button"])');
  await page.waitForFunction("document.querySelector('#name')?.value === 'Splunk prod'");
  await page.evaluate("document.querySelector('#limit').value = ''");
  await page.type('#limit', '501');
  await page.click('::-p-aria([name="Save"][role="button"])');
  await page.waitForSelector('#limit-error');
  assert.match(await text(page, '#limit-error'), /must be 1\.\.500 for EVENTS_PER_PAYLOAD/);
  await page.click('::-p-aria([name="Cancel"][role="button"])');

  // A test event from the detail page.
  await page.waitForSelector('::-p-aria([name="Send test event"][role="button"])');
  await page.click('::-p-aria([name="Send test event"][role="button"])');
  await page.waitForFunction("document.querySelector('[role=status]')?.textContent?.startsWith('Delivered: status 200')", { timeout: 10_000 });
  await page.screenshot({ path: `${screenshots}/detail.png`, fullPage: true });
  assert.ok(sink.requests.some((request) => request.body.includes('SIEM_GATEWAY.TEST')));
  assert.deepEqual(errors, [], 'no script error, no CSP violation');
});
