// The console in a real browser: a SIGNING key, a signed TEMPLATE webhook and a SET subscription
// created and edited, a template error beside its field.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { HttpSink } from '../helpers/http-sink.js';
import { opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { chromium, listed, openPage, paste, press, screenshots, text } from '../helpers/console-page.js';

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
