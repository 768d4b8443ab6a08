// The console in a real browser: sign in (and the wrong-token message), the file-managed
// subscription read-only, a Splunk HEC subscription created through the form delivering to a sink,
// suspended, an edit refused beside the field, a test event, a dead letter replayed, a key pair.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCa } from '../helpers/certificates.js';
import { HttpSink } from '../helpers/http-sink.js';
import { opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { chromium, listed, openPage, paste, press, screenshots, text } from '../helpers/console-page.js';

test('the console: sign in, the file subscription read-only, create a Splunk subscription through the form, watch it deliver and its chart move, suspend it, an edit error beside its field, a test event, a dead letter replayed, a key pair uploaded', async (t) => {
  assert.ok(chromium, 'chromium is installed (npm test installs it with apt-get)');
  let refusePoison = true;
  const sink = await HttpSink.start({ handler: (request) => (refusePoison && request.body.includes('"poison-1"') ? { status: 400, body: '{"text":"Invalid data format","code":6}' } : { status: 200, body: '{"text":"Success","code":0}' }) });
  t.after(() => sink.close());
  const { adminUrl, ingestUrl } = await startGateway(t, {
    extra: `subscriptions:
  - id: from-file
    environment: prod
    httpEndpoint: { url: "${sink.url}/file" }
    filterOptions: { includedActionTypes: ["NOTHING.MATCHES"] }
`,
  });
  const { page, errors } = await openPage(t);

  const subscriptionId = async () => {
    const listed = await fetch(`${adminUrl}/v1/environments/prod/subscriptions`, { headers: { authorization: `Bearer ${opsToken}` } });
    return ((await listed.json()) as { subscriptions: { id: string; name?: string }[] }).subscriptions.find((subscription) => subscription.name?.startsWith('Splunk prod'))!.id;
  };
  const response = await page.goto(`${adminUrl}/`, { waitUntil: 'networkidle0' });
  assert.equal(new URL(page.url()).pathname, '/console/');
  assert.match(response!.headers()['content-security-policy']!, /script-src 'self'/);
  assert.equal(response!.headers()['x-frame-options'], 'DENY');

  // A wrong token: a clear message, and nothing stored.
  await page.type('#token', 'not-the-token-at-all');
  await press(page, 'Sign in');
  await page.waitForSelector('[role=alert]');
  assert.match(await text(page, '[role=alert]'), /not valid/);
  assert.equal(await page.evaluate('sessionStorage.length'), 0);

  await page.evaluate("document.querySelector('#token').value = ''");
  await page.type('#token', opsToken);
  await press(page, 'Sign in');
  await page.waitForSelector('tr[data-subscription="from-file"]');
  assert.match(await text(page, 'tr[data-subscription="from-file"]'), /Defined in the configuration file: read-only here/);
  assert.equal(await page.$('tr[data-subscription="from-file"] button'), null, 'no suspend toggle for a file subscription');
  assert.ok(!page.url().includes(opsToken), 'the token is never in a URL');

  // Create a Splunk HEC subscription through the form.
  await press(page, 'Add subscription');
  await page.waitForSelector('#name');
  await page.type('#name', 'Splunk prod');
  await page.type('#url', `${sink.url}/services/collector/event`);
  await page.click('#events');
  await page.screenshot({ path: `${screenshots}/form.png`, fullPage: true });
  await press(page, 'Save');
  await listed(page, 'Splunk prod');
  await sendEvents(ingestUrl, [{ id: 'c1', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }, { id: 'c2', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }]);
  await until(() => sink.requests.some((request) => request.body.includes('"c2"')), 10_000);
  assert.match(sink.requests.find((request) => request.body.includes('"c2"'))!.body, /"sourcetype":"pingone:activity"/, 'the Splunk HEC envelope');
  await page.waitForFunction("[...document.querySelectorAll('td[data-delivered]')].some((cell) => Number(cell.getAttribute('data-delivered')) >= 2)", { timeout: 10_000 });
  // Its throughput chart has moved.
  await page.waitForFunction("[...document.querySelectorAll('svg[aria-label=\"Throughput of Splunk prod\"]')].some((chart) => chart.getAttribute('data-points').split(',').some((point) => Number(point) >= 2))", { timeout: 10_000 });
  await page.screenshot({ path: `${screenshots}/list.png`, fullPage: true });

  // Suspend it: the state follows.
  await press(page, 'Suspend Splunk prod');
  await page.waitForFunction("[...document.querySelectorAll('tr[data-subscription]')].some((row) => row.textContent.includes('Splunk prod') && row.querySelector('[data-state=suspended]'))", { timeout: 10_000 });

  // Edit with a payload limit past 500: the API's problem shows beside the field.
  await page.click('::-p-text(Splunk prod)');
  await page.waitForSelector('::-p-aria([name="Send test event"][role="button"])');
  await press(page, 'Edit');
  await page.waitForFunction("document.querySelector('#name')?.value === 'Splunk prod'");
  await page.evaluate("document.querySelector('#limit').value = ''");
  await page.type('#limit', '501');
  await press(page, 'Save');
  await page.waitForSelector('#limit-error');
  assert.match(await text(page, '#limit-error'), /must be 1\.\.500 for EVENTS_PER_PAYLOAD/);
  await press(page, 'Cancel');

  // A test event from the detail page.
  await page.waitForSelector('::-p-aria([name="Send test event"][role="button"])');
  await press(page, 'Send test event');
  await page.waitForFunction("document.querySelector('[role=status]')?.textContent?.startsWith('Delivered: status 200')", { timeout: 10_000 });
  await page.waitForSelector('tr[data-attempt="delivered"]', { timeout: 10_000 });
  await page.screenshot({ path: `${screenshots}/detail.png`, fullPage: true });

  // Two admins at once: the console's edit lost the race (412); it says so and reloads.
  await press(page, 'Edit');
  await page.waitForFunction("document.querySelector('#name')?.value === 'Splunk prod'");
  const id = await subscriptionId();
  const current = await fetch(`${adminUrl}/v1/environments/prod/subscriptions/${id}`, { headers: { authorization: `Bearer ${opsToken}` } });
  await fetch(`${adminUrl}/v1/environments/prod/subscriptions/${id}`, { method: 'PUT', headers: { authorization: `Bearer ${opsToken}`, 'content-type': 'application/json', 'if-match': current.headers.get('etag')! }, body: JSON.stringify({ ...((await current.json()) as object), name: 'Splunk production' }) });
  await press(page, 'Save');
  await page.waitForSelector('::-p-text(changed by someone else)');
  await page.waitForFunction("document.querySelector('#name')?.value === 'Splunk production'");
  await page.evaluate("document.querySelector('#name').value = ''");
  await page.type('#name', 'Splunk prod');
  await press(page, 'Save');
  await page.waitForSelector('::-p-aria([name="Send test event"][role="button"])');
  assert.ok(sink.requests.some((request) => request.body.includes('SIEM_GATEWAY.TEST')));

  // Enable it again; the sink refuses one event: it becomes a dead letter; fixed, it is replayed and arrives.
  await press(page, 'Back to subscriptions');
  await press(page, 'Enable Splunk prod');
  await page.waitForFunction("[...document.querySelectorAll('tr[data-subscription]')].some((row) => row.textContent.includes('Splunk prod') && row.querySelector('[data-state=ok]'))", { timeout: 10_000 });
  await sendEvents(ingestUrl, [{ id: 'poison-1', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }]);
  await page.click('::-p-text(Splunk prod)');
  await page.waitForSelector('::-p-aria(Select poison-1)', { timeout: 15_000 });
  refusePoison = false;
  await press(page, 'Replay all dead letters');
  await page.waitForSelector('[data-job-state="done"]', { timeout: 15_000 });
  assert.ok(sink.requests.some((request, index) => sink.statuses[index] === 200 && request.body.includes('"poison-1"')), 'the replayed dead letter arrived');
  await page.waitForSelector('::-p-text(No dead letters.)', { timeout: 10_000 });

  // Upload a key pair on the keys page.
  const ca = createCa();
  const client = ca.issue({ commonName: 'console-client', client: true });
  await press(page, 'Keys and certificates');
  await page.waitForSelector('#key-id');
  await page.type('#key-id', 'console-key');
  await paste(page, '#key-certificate', client.cert);
  await paste(page, '#key-private', client.key);
  await press(page, 'Upload key pair');
  await page.waitForSelector('tr[data-material="console-key"]').catch(async (error: unknown) => assert.fail(`${String(error)}: ${await text(page, '[role=status]')}`));
  assert.match(await text(page, 'tr[data-material="console-key"]'), /CN=console-client/);
  await page.screenshot({ path: `${screenshots}/keys.png`, fullPage: true });
  assert.deepEqual(errors, [], 'no script error, no CSP violation');
});
