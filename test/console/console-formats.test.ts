// The console in a real browser, the formats that confirm delivery and the other schemas: an
// Elasticsearch subscription with OAuth2 client credentials, OTLP, Splunk with indexer
// acknowledgement, OCSF and CEF.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BulkReceiver } from '../helpers/bulk-receiver.js';
import { OAuth2Server } from '../helpers/oauth2-server.js';
import { HecAckReceiver } from '../helpers/hec-ack-receiver.js';
import { HttpSink } from '../helpers/http-sink.js';
import { opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { chromium, listed, openPage, paste, press, screenshots, text } from '../helpers/console-page.js';

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
