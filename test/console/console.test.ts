// The console in a real browser (Debian's chromium, driven by puppeteer-core): sign in (and the
// wrong-token message), the file-managed subscription read-only, a Splunk HEC subscription created
// through the form delivering to a sink, suspended, an edit refused beside the field, a test event.
// Screenshots go to test-output/screenshots/ (not committed).
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import puppeteer, { type Page } from 'puppeteer-core';
import { createCa } from '../helpers/certificates.js';
import { BulkReceiver } from '../helpers/bulk-receiver.js';
import { OAuth2Server } from '../helpers/oauth2-server.js';
import { HecAckReceiver } from '../helpers/hec-ack-receiver.js';
import { HttpSink } from '../helpers/http-sink.js';
import { opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const screenshots = 'test-output/screenshots';

/** Clicks the button with this accessible name once it is there. */
async function press(page: Page, name: string): Promise<void> {
  const selector = `::-p-aria([name="${name}"][role="button"])`;
  await page.waitForSelector(selector, { timeout: 10_000 });
  await page.click(selector);
}

/** A fresh browser page, closed after the test; `errors` collects script errors and CSP violations. */
async function openPage(t: TestContext): Promise<{ page: Page; errors: string[] }> {
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
function paste(page: Page, selector: string, value: string): Promise<unknown> {
  return page.evaluate(`(() => { const field = document.querySelector(${JSON.stringify(selector)}); field.value = ${JSON.stringify(value)}; field.dispatchEvent(new Event('input', { bubbles: true })); })()`);
}

/** Waits for the subscriptions list to show a row with this name (a form's input holding it does not count). */
async function listed(page: Page, name: string): Promise<void> {
  await page.waitForFunction(`[...document.querySelectorAll('tr[data-subscription]')].some((row) => row.textContent.includes(${JSON.stringify(name)}))`, { timeout: 10_000 });
}

async function text(page: Page, selector: string): Promise<string> {
  return String(await page.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? ''`));
}

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

test('the console: a SIGNING key uploaded, a signed TEMPLATE webhook and a SET subscription created and edited, a template error beside its field', async (t) => {
  assert.ok(chromium, 'chromium is installed (npm test installs it with apt-get)');
  const sink = await HttpSink.start({ handler: () => ({ status: 202 }) });
  t.after(() => sink.close());
  const { adminUrl, ingestUrl } = await startGateway(t);
  const { page, errors } = await openPage(t);
  const stored = async (name: string) => {
    const listed = await fetch(`${adminUrl}/v1/environments/prod/subscriptions`, { headers: { authorization: `Bearer ${opsToken}` } });
    return ((await listed.json()) as { subscriptions: Record<string, unknown>[] }).subscriptions.find((subscription) => subscription.name === name);
  };
  await page.goto(`${adminUrl}/`, { waitUntil: 'networkidle0' });
  await page.type('#token', opsToken);
  await press(page, 'Sign in');
  await page.waitForSelector('::-p-aria([name="Keys and certificates"][role="button"])');

  // A signing key: EC P-256, no certificate.
  await press(page, 'Keys and certificates');
  await page.waitForSelector('#key-id');
  await page.type('#key-id', 'console-signer');
  await page.select('#key-usage', 'SIGNING');
  await paste(page, '#key-private', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  await press(page, 'Upload key pair');
  await page.waitForSelector('tr[data-material="console-signer"]').catch(async (error: unknown) => assert.fail(`${String(error)}: ${await text(page, '[role=status]')}`));
  assert.match(await text(page, 'tr[data-material="console-signer"]'), /Signing \(SET\)/);

  // A PingAM-style logout webhook, signed: first with a broken template, refused beside the field.
  await press(page, 'Subscriptions');
  await press(page, 'Add subscription');
  await page.waitForSelector('#name');
  await page.type('#name', 'Logout hook');
  await page.type('#url', `${sink.url}/logout/\${UserId}`);
  await page.select('#format', 'TEMPLATE');
  await page.waitForSelector('#template-body');
  await paste(page, '#template-body', '{"user":"${UserId}","event":"${WebhookEventType');
  await page.select('#signing-type', 'hub');
  await page.waitForSelector('#signing-secret');
  await page.type('#signing-secret', 'console-hub-secret-1234');
  await page.click('#events');
  await press(page, 'Save');
  await page.waitForSelector('#template-body-error');
  assert.match(await text(page, '#template-body-error'), /unclosed \$\{ at character 30/);
  await paste(page, '#template-body', '{"user":"${UserId}","event":"${WebhookEventType}"}');
  await page.screenshot({ path: `${screenshots}/template-form.png`, fullPage: true });
  await press(page, 'Save');
  await listed(page, 'Logout hook');
  const hook = (await stored('Logout hook'))!;
  assert.deepEqual(hook.template, { body: '{"user":"${UserId}","event":"${WebhookEventType}"}', contentType: 'application/json' });
  assert.deepEqual(hook.signing, { type: 'hub' }, 'the secret is write-only');
  await sendEvents(ingestUrl, [{ id: 'out-1', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'SESSION.DELETED' }, actors: { user: { id: 'bjensen' } } }]);
  await until(() => sink.requests.some((request) => request.url === '/logout/bjensen'), 10_000);
  const delivered = sink.requests.find((request) => request.url === '/logout/bjensen')!;
  assert.equal(delivered.body, '{"user":"bjensen","event":"LOGOUT"}');
  assert.equal(delivered.headers['x-hub-signature'], `sha256=${createHmac('sha256', 'console-hub-secret-1234').update(delivered.body).digest('hex')}`);

  // Edit it: the form shows the template and an empty secret field that keeps the stored secret.
  await page.waitForSelector('::-p-text(Logout hook)');
  await page.screenshot({ path: `${screenshots}/template-list.png`, fullPage: true });
  await page.click('::-p-text(Logout hook)');
  await press(page, 'Edit');
  await page.waitForFunction("document.querySelector('#template-body')?.value.includes('WebhookEventType')");
  assert.equal(await page.evaluate("document.querySelector('#signing-secret').value"), '');
  assert.match(await text(page, 'label[for="signing-secret"]'), /leave empty to keep/);
  await page.evaluate("document.querySelector('#name').value = ''");
  await page.type('#name', 'Logout webhook');
  await press(page, 'Save');
  await page.waitForSelector('::-p-aria([name="Send test event"][role="button"])');
  await sendEvents(ingestUrl, [{ id: 'out-2', recordedAt: '2026-11-24T10:16:00Z', action: { type: 'SESSION.DELETED' }, actors: { user: { id: 'kvaughan' } } }]);
  await until(() => sink.requests.some((request) => request.url === '/logout/kvaughan'), 10_000);
  const again = sink.requests.find((request) => request.url === '/logout/kvaughan')!;
  assert.equal(again.headers['x-hub-signature'], `sha256=${createHmac('sha256', 'console-hub-secret-1234').update(again.body).digest('hex')}`, 'the kept secret still signs');

  // A SET subscription with the signing key.
  await press(page, 'Back to subscriptions');
  await press(page, 'Add subscription');
  await page.waitForSelector('#name');
  await page.type('#name', 'CAEP receiver');
  await page.type('#url', `${sink.url}/caep`);
  await page.select('#format', 'SET');
  await page.waitForSelector('#set-issuer');
  await page.type('#set-issuer', 'https://gateway.example/prod');
  // The key list arrives from the API after the form opens.
  await page.waitForSelector('#set-key option[value="console-signer"]');
  await page.select('#set-key', 'console-signer');
  await page.click('#events');
  await press(page, 'Save');
  await listed(page, 'CAEP receiver');
  assert.deepEqual((await stored('CAEP receiver'))!.set, { issuer: 'https://gateway.example/prod', signingKey: { id: 'console-signer' } });
  await sendEvents(ingestUrl, [{ id: 'out-3', recordedAt: '2026-11-24T10:17:00Z', action: { type: 'SESSION.DELETED' } }]);
  await until(() => sink.requests.some((request) => request.url === '/caep' && request.headers['content-type'] === 'application/secevent+jwt'), 10_000);
  await page.screenshot({ path: `${screenshots}/set-list.png`, fullPage: true });
  assert.deepEqual(errors, [], 'no script error');
});

test('the console: an Elasticsearch subscription with its index, pipeline and OAuth2 client credentials, a bad index name refused beside its field, the secret write-only; an OTLP subscription in JSON; a Splunk one with indexer acknowledgement; OCSF and CEF', async (t) => {
  assert.ok(chromium, 'chromium is installed (npm test installs it with apt-get)');
  const receiver = new BulkReceiver();
  const sink = await HttpSink.start({ handler: receiver.handler });
  t.after(() => sink.close());
  const tokens = await OAuth2Server.start({ id: 'console-app', secret: 'console-oauth2-secret' });
  t.after(() => tokens.close());
  const { adminUrl, ingestUrl } = await startGateway(t);
  const { page, errors } = await openPage(t);
  await page.goto(`${adminUrl}/`, { waitUntil: 'networkidle0' });
  await page.type('#token', opsToken);
  await press(page, 'Sign in');
  await press(page, 'Add subscription');
  await page.waitForSelector('#name');
  await page.type('#name', 'Elastic SIEM');
  await page.type('#url', `${sink.url}/_bulk`);
  await page.select('#format', 'ELASTICSEARCH');
  await page.waitForSelector('#es-index');
  assert.equal(await page.$('#encoding'), null, 'the body is bulk NDJSON: no payload format to choose');
  await page.type('#es-index', 'Idp-Audit');
  await page.type('#es-pipeline', 'pingone-fixups');
  await page.type('#oauth2-token-url', tokens.tokenUrl);
  await page.waitForSelector('#oauth2-client');
  await page.type('#oauth2-client', 'console-app');
  await page.type('#oauth2-secret', 'console-oauth2-secret');
  await page.type('#oauth2-scope', 'logs.write');
  await page.click('#events');
  await press(page, 'Save');
  await page.waitForSelector('#es-index-error');
  assert.match(await text(page, '#es-index-error'), /must be lower case/);
  await paste(page, '#es-index', 'idp-audit-${recordedAt:yyyy.MM.dd}');
  await page.screenshot({ path: `${screenshots}/elasticsearch-form.png`, fullPage: true });
  await press(page, 'Save');
  await listed(page, 'Elastic SIEM');
  const listing = await fetch(`${adminUrl}/v1/environments/prod/subscriptions`, { headers: { authorization: `Bearer ${opsToken}` } });
  const stored = ((await listing.json()) as { subscriptions: Record<string, unknown>[] }).subscriptions.find((subscription) => subscription.name === 'Elastic SIEM')!;
  assert.deepEqual(stored.elasticsearch, { index: 'idp-audit-${recordedAt:yyyy.MM.dd}', pipeline: 'pingone-fixups' });
  assert.deepEqual(stored.oauth2, { tokenUrl: tokens.tokenUrl, clientId: 'console-app', scope: 'logs.write' }, 'the secret is write-only');
  await sendEvents(ingestUrl, [{ id: 'es-1', recordedAt: '2026-12-07T10:15:00Z', action: { type: 'USER.CREATED' } }]);
  await until(() => receiver.indices.get('idp-audit-2026.12.07')?.has('es-1') === true, 10_000);
  assert.equal(sink.requests.at(-1)!.headers.authorization, 'Bearer tok-1');
  assert.deepEqual(tokens.tokenRequests.map((request) => [request.client?.secret, request.scope]), [['console-oauth2-secret', 'logs.write']]);

  // Edited: the secret field is empty and keeps the stored secret.
  await page.click('::-p-text(Elastic SIEM)');
  await press(page, 'Edit');
  await page.waitForFunction("document.querySelector('#oauth2-client')?.value === 'console-app'");
  assert.equal(await page.evaluate("document.querySelector('#oauth2-secret').value"), '');
  assert.match(await text(page, 'label[for="oauth2-secret"]'), /leave empty to keep/);
  await paste(page, '#es-pipeline', 'pingone-fixups-v2');
  await press(page, 'Save');
  await page.waitForSelector('::-p-aria([name="Send test event"][role="button"])');
  await sendEvents(ingestUrl, [{ id: 'es-2', recordedAt: '2026-12-07T10:16:00Z', action: { type: 'USER.CREATED' } }]);
  await until(() => receiver.indices.get('idp-audit-2026.12.07')?.has('es-2') === true, 10_000);
  assert.ok(tokens.tokenRequests.every((request) => request.client?.secret === 'console-oauth2-secret'), 'the kept secret still authenticates');

  const otlp = await HttpSink.start();
  t.after(() => otlp.close());
  await press(page, 'Back to subscriptions');
  await press(page, 'Add subscription');
  await page.waitForSelector('#name');
  await page.type('#name', 'Collector');
  await page.type('#url', `${otlp.url}/v1/logs`);
  await page.select('#format', 'OTLP');
  await page.waitForSelector('#otlp-encoding');
  assert.equal(await page.$('#encoding'), null, 'otlp.encoding chooses the body');
  await page.select('#otlp-encoding', 'json');
  await page.click('#events');
  await press(page, 'Save');
  await listed(page, 'Collector');
  await sendEvents(ingestUrl, [{ id: 'otlp-1', recordedAt: '2026-12-07T10:17:00Z', action: { type: 'USER.CREATED' } }]);
  await until(() => otlp.requests.length === 1, 10_000);
  assert.equal(otlp.requests[0]!.headers['content-type'], 'application/json');
  assert.equal(((JSON.parse(otlp.requests[0]!.body) as { resourceLogs: { scopeLogs: { logRecords: { eventName: string }[] }[] }[] }).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.eventName), 'USER.CREATED');

  // Splunk with indexer acknowledgement.
  const hec = new HecAckReceiver();
  hec.indexAtOnce = true;
  const acking = await HttpSink.start({ handler: hec.handler });
  t.after(() => acking.close());
  await press(page, 'Add subscription');
  await page.waitForSelector('#name');
  await page.type('#name', 'Splunk acknowledged');
  await page.type('#url', `${acking.url}/services/collector/event`);
  await page.select('#format', 'SPLUNK');
  await page.waitForSelector('#indexer-ack');
  await page.click('#indexer-ack');
  await page.click('#events');
  await press(page, 'Save');
  await listed(page, 'Splunk acknowledged');
  await sendEvents(ingestUrl, [{ id: 'ack-1', recordedAt: '2026-12-07T10:18:00Z', action: { type: 'USER.CREATED' } }]);
  await until(() => hec.ackQueries.length > 0 && hec.indexed.includes('ack-1'), 10_000);
  assert.ok(acking.requests.every((request) => typeof request.headers['x-splunk-request-channel'] === 'string'));

  // OCSF 1.3.0 with the raw payload, and CEF lines over HTTPS.
  const lines = await HttpSink.start();
  t.after(() => lines.close());
  for (const [name, format, path] of [['Security Lake', 'OCSF', '/ocsf'], ['ArcSight', 'CEF', '/cef']] as const) {
    await press(page, 'Add subscription');
    await page.waitForSelector('#name');
    await page.type('#name', name);
    await page.type('#url', `${lines.url}${path}`);
    await page.select('#format', format);
    if (format === 'OCSF') {
      await page.waitForSelector('#ocsf-version');
      await page.select('#ocsf-version', '1.3.0');
      await page.click('#ocsf-raw');
    } else assert.equal(await page.$('#encoding'), null, 'CEF lines: no payload format to choose');
    await page.click('#events');
    await press(page, 'Save');
    await listed(page, name);
  }
  await sendEvents(ingestUrl, [{ id: 'lines-1', recordedAt: '2026-12-07T10:19:00Z', action: { type: 'USER.CREATED' }, resources: [{ type: 'USER', id: 'u1', name: 'alice' }] }]);
  await until(() => lines.requests.length === 2, 10_000);
  // The form's payload format is NDJSON: one OCSF event per line.
  const ocsf = JSON.parse(lines.requests.find((request) => request.url === '/ocsf')!.body.trimEnd()) as { class_uid: number; metadata: { version: string }; raw_data: string };
  assert.deepEqual([ocsf.class_uid, ocsf.metadata.version, typeof ocsf.raw_data], [3001, '1.3.0', 'string']);
  assert.match(lines.requests.find((request) => request.url === '/cef')!.body, /^CEF:0\|Ping Identity\|PingOne\|\|USER\.CREATED\|USER\.CREATED\|3\|duser=alice rt=\d+ externalId=lines-1\n$/);
  assert.deepEqual(errors, [], 'no script error');
});
