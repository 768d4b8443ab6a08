// Items 9 and 10 of tenant isolation, for IdP webhooks: redeliveries are stored exactly once, even
// racing (40 identical Keycloak posts at once) and inside one PingOne array; the dedupe window is an
// append-only log, so a request appends its own ids whatever the window holds (the file is not
// rewritten); Keycloak refuses a body that is not JSON (415) or not UTF-8 (400, naming the byte).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sample } from '../helpers/in-process-gateway.js';
import { devSecret, rootToken, startTenantGateway } from './tenant-gateway.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/idp/', import.meta.url));
const keycloakLogin = readFileSync(join(fixtures, 'keycloak-user-event-login.phasetwo-docs.json'));
const pingOneEvent = JSON.parse(readFileSync(join(fixtures, 'pingone-activity-user-access-allowed.elastic.json'), 'utf8')) as Record<string, unknown>;
const pingOneToken = 'pingone-bearer-token-0123';

async function sourceGateway(t: Parameters<typeof startTenantGateway>[0]) {
  const gateway = await startTenantGateway(t, { sources: `  - { id: p1, type: pingone, environment: prod, token: "${pingOneToken}" }\n` });
  const post = async (source: string, body: Buffer | string, headers: Record<string, string>) => {
    const response = await fetch(`${gateway.ingestUrl}/v1/sources/${source}`, { method: 'POST', headers, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const keycloak = (body: Buffer, contentType = 'application/json') => post('dev-keycloak', body, { 'content-type': contentType, 'x-keycloak-signature': createHmac('sha256', devSecret).update(body).digest('hex') });
  const metric = async (series: string) => sample((await gateway.call('GET', '/metrics', undefined, rootToken)).text, series);
  return { gateway, post, keycloak, metric };
}

test('40 concurrent identical Keycloak posts store one event; all 40 are acknowledged', async (t) => {
  const { keycloak, metric } = await sourceGateway(t);
  const answers = await Promise.all(Array.from({ length: 40 }, () => keycloak(keycloakLogin)));
  assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([202]));
  assert.equal(answers.reduce((sum, answer) => sum + Number(answer.body.stored), 0), 1);
  assert.equal(await metric('siem_gateway_events_received_total{environment="dev"}'), 1);
  assert.equal(await metric('siem_gateway_events_deduplicated_total{source="dev-keycloak"}'), 39);
});

test('an id twice in one PingOne array is stored once; the window file is appended, not rewritten, at 60,000 ids', async (t) => {
  const { gateway, post, metric } = await sourceGateway(t);
  const auth = { authorization: `Bearer ${pingOneToken}`, 'content-type': 'application/json' };
  const twice = await post('p1', JSON.stringify([{ ...pingOneEvent, id: 'same' }, { ...pingOneEvent, id: 'other' }, { ...pingOneEvent, id: 'same' }]), auth);
  assert.deepEqual(twice.body, { accepted: 3, stored: 2 });

  // 60,000 ids in the window, in requests of 2,000, then one of 500.
  const batch = (from: number, count = 500) => JSON.stringify(Array.from({ length: count }, (_, i) => ({ ...pingOneEvent, id: `fill-${from + i}` })));
  for (let from = 0; from < 60_000; from += 2000) assert.equal((await post('p1', batch(from, 2000), auth)).status, 202);
  const file = join(gateway.dir, 'data', 'sources', 'p1.dedupe.json');
  const before = statSync(file);
  const answer = await post('p1', batch(60_000), auth);
  assert.deepEqual(answer.body, { accepted: 500, stored: 500 });
  const after = statSync(file);
  assert.equal(after.ino, before.ino, 'the same file, appended to (a rewrite replaces it)');
  const appended = readFileSync(file, 'utf8').slice(before.size);
  assert.equal(appended.split('\n').filter((line) => line !== '').length, 500, 'one line per new id, nothing else');
  assert.equal(after.mode & 0o777, 0o600);

  // After a restart, every id is still known.
  await gateway.restart();
  assert.deepEqual((await post('p1', batch(30_000), auth)).body, { accepted: 500, stored: 0 });
  assert.equal(await metric('siem_gateway_events_deduplicated_total{source="p1"}'), 500);
});

test('Keycloak: another content type is a 415, a body that is not UTF-8 a 400 naming the byte; nothing stored', async (t) => {
  const { keycloak, metric } = await sourceGateway(t);
  const asText = await keycloak(keycloakLogin, 'text/plain');
  assert.equal(asText.status, 415);
  assert.equal(asText.body.error, 'unsupported_media_type');
  const broken = Buffer.concat([keycloakLogin.subarray(0, 10), Buffer.from([0xc3, 0x28]), keycloakLogin.subarray(10)]);
  const notUtf8 = await keycloak(broken);
  assert.equal(notUtf8.status, 400);
  assert.match(String(notUtf8.body.message), /not valid UTF-8 \(at byte 11\)/);
  assert.equal(await metric('siem_gateway_source_rejected_total{source="dev-keycloak",reason="unsupported_media_type"}'), 1);
  assert.equal(await metric('siem_gateway_events_received_total{environment="dev"}'), 0);
});
