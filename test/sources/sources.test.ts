// IdP webhooks received natively, from the real published payloads (test/fixtures/idp), each
// signed here with node:crypto over the exact bytes sent, as the sender does: valid, tampered,
// wrong secret, missing header, uppercase hex, SHA-1 mode, the WebSub challenge, AM bodies with
// unresolved variables, PingOne arrays and NDJSON, oversize and malformed bodies, redeliveries.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import type { JournalRecord } from '../../src/event/activity-event.js';
import { asgardeoActionTypes } from '../../src/sources/asgardeo.js';
import { sample, scrape, startGateway } from '../helpers/in-process-gateway.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/idp/', import.meta.url));
const fixture = (name: string) => readFileSync(join(fixtures, name));
const hmac = (algorithm: 'sha256' | 'sha1', secret: string, body: Buffer) => createHmac(algorithm, secret).update(body).digest('hex');

const sources = `sources:
  - { id: kc, type: keycloak, environment: prod, secret: "keycloak-secret-123" }
  - { id: kc-sha1, type: keycloak, environment: prod, secret: "keycloak-secret-123", algorithm: sha1 }
  - { id: wso2, type: asgardeo, environment: prod, secret: "wso2-secret-456" }
  - { id: am, type: am-webhook, environment: prod, token: "am-shared-token-789", fieldMap: { user: actors.user.name, when: recordedAt } }
  - { id: am-header, type: am-webhook, environment: prod, token: "am-header-token-789", header: X-AM-Token }
  - { id: p1, type: pingone, environment: prod, token: "pingone-bearer-000" }
  - { id: p1-basic, type: pingone, environment: dev, basicAuth: { username: pingone, password: "basic-pass-111" } }
`;

async function sourceGateway(t: TestContext) {
  const started = await startGateway(t, { extra: sources });
  const post = async (id: string, body: Buffer | string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${started.ingestUrl}/v1/sources/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, body: (await response.json()) as { accepted?: number; stored?: number; error?: string } };
  };
  const stored = async (): Promise<JournalRecord[]> => {
    const reader = started.gateway.journal.reader(0);
    const out: JournalRecord[] = [];
    while (reader.nextSeq <= started.gateway.journal.stats().lastSeq) {
      out.push(...(await reader.read(1000)));
    }
    await reader.close();
    return out;
  };
  const metric = async (series: string) => sample(await scrape(started.adminUrl), series);
  return { ...started, post, stored, metric };
}

test('keycloak: signed real payloads are stored normalised, original kept byte-exact; every bad signature is refused and counted', async (t) => {
  const { post, stored, metric } = await sourceGateway(t);
  const login = fixture('keycloak-user-event-login.phasetwo-docs.json');
  const admin = fixture('keycloak-admin-event-client-create.phasetwo-docs.json');
  assert.deepEqual((await post('kc', login, { 'x-keycloak-signature': hmac('sha256', 'keycloak-secret-123', login) })).body, { accepted: 1, stored: 1 });
  assert.equal((await post('kc', admin, { 'x-keycloak-signature': `sha256=${hmac('sha256', 'keycloak-secret-123', admin).toUpperCase()}` })).status, 202, 'a sha256= prefix and uppercase hex');
  assert.equal((await post('kc-sha1', login, { 'x-keycloak-signature': hmac('sha1', 'keycloak-secret-123', login) })).status, 202, 'SHA-1 mode');

  const tampered = Buffer.from(login.toString().replace('johndoe', 'janedoe'));
  const refusals: [Buffer, Record<string, string>, number, string][] = [
    [tampered, { 'x-keycloak-signature': hmac('sha256', 'keycloak-secret-123', login) }, 401, 'bad_signature'],
    [login, { 'x-keycloak-signature': hmac('sha256', 'wrong-secret', login) }, 401, 'bad_signature'],
    [login, {}, 401, 'missing_signature'],
    [login, { 'x-keycloak-signature': hmac('sha1', 'keycloak-secret-123', login) }, 401, 'bad_signature'],
    [Buffer.from('{"type": '), { 'x-keycloak-signature': hmac('sha256', 'keycloak-secret-123', Buffer.from('{"type": ')) }, 400, 'malformed'],
  ];
  for (const [body, headers, status, reason] of refusals) assert.deepEqual([(await post('kc', body, headers)).status, (await post('kc', body, headers)).body.error], [status, reason]);
  assert.equal(await metric('siem_gateway_source_rejected_total{source="kc",reason="bad_signature"}'), 6);
  assert.equal(await metric('siem_gateway_source_rejected_total{source="kc",reason="missing_signature"}'), 2);
  assert.equal((await post('nope', login)).status, 404);

  const records = await stored();
  assert.equal(records.length, 3, 'the three signed requests (dedupe windows are per source); nothing unverified');
  const [first, second] = records.map((record) => record.event);
  assert.deepEqual(
    { ...first, _original: undefined },
    {
      id: '8d76de08-1c12-4d9a-bb86-fd1c602b2486',
      recordedAt: '2020-05-01T20:06:59.462Z',
      action: { type: 'KEYCLOAK.ACCESS.LOGIN', description: 'access.LOGIN' },
      actors: { user: { id: 'f7cd3491-7c6c-480c-bc5c-b2b3b0fb048c', name: 'johndoe' }, client: { id: 'web-app' } },
      source: { ipAddress: '78.195.109.209' },
      result: { status: 'SUCCESS' },
      keycloak: { realmId: 'customer.app', realmName: 'customer.app', sessionId: '70c446c9-ed9a-4c9e-9a72-d26363bb4000', details: (JSON.parse(login.toString()) as { details: unknown }).details },
      _original: undefined,
    },
  );
  // The original payload, less the client's address (it is in source.ipAddress, which redaction governs).
  const withoutAddress = JSON.parse(login.toString()) as { authDetails: Record<string, unknown> };
  delete withoutAddress.authDetails.ipAddress;
  assert.deepEqual(JSON.parse(first!._original as string), withoutAddress);
  assert.equal(second!.action.type, 'KEYCLOAK.ADMIN.CLIENT.CREATE');
  assert.deepEqual(second!.resources, [{ type: 'CLIENT', id: '396664b6-40c5-4d45-bedf-2d8dd0f2af0e', path: 'clients/396664b6-40c5-4d45-bedf-2d8dd0f2af0e' }]);
  assert.equal(records[2]!.event.id, first!.id);
  assert.equal(await metric('siem_gateway_events_deduplicated_total{source="kc-sha1"}'), 0, 'windows are per source');
});

test('asgardeo / WSO2 IS: the WebSub challenge, both signature headers, every published payload mapped', async (t) => {
  const { post, stored, ingestUrl, metric } = await sourceGateway(t);
  const challenge = await fetch(`${ingestUrl}/v1/sources/wso2?hub.mode=subscribe&hub.topic=myorg.dcbd6baa.schema.wso2.v1.event.login&hub.challenge=500c4833-91c6-4556-b9a9-1b8e5e00d48b&hub.lease_seconds=864000`);
  assert.deepEqual([challenge.status, challenge.headers.get('content-type'), await challenge.text()], [200, 'text/plain', '500c4833-91c6-4556-b9a9-1b8e5e00d48b']);
  assert.equal((await fetch(`${ingestUrl}/v1/sources/unknown?hub.mode=subscribe&hub.challenge=x`)).status, 404);
  assert.equal((await fetch(`${ingestUrl}/v1/sources/kc?hub.mode=subscribe&hub.challenge=x`)).status, 404, 'only WebSub sources answer');

  const files = readdirSync(fixtures).filter((name) => name.startsWith('asgardeo-')).sort();
  let index = 0;
  for (const name of files) {
    const body = fixture(name);
    const headerName = index++ % 2 === 0 ? 'x-hub-signature' : 'x-wso2-event-signature';
    const answer = await post('wso2', body, { [headerName]: `sha256=${hmac('sha256', 'wso2-secret-456', body)}` });
    assert.equal(answer.status, 202, name);
  }
  const login = fixture('asgardeo-login-failed.json');
  assert.equal((await post('wso2', login, { 'x-hub-signature': `sha256=${hmac('sha256', 'other', login)}` })).body.error, 'bad_signature');
  assert.equal((await post('wso2', login, { 'x-hub-signature': hmac('sha256', 'wso2-secret-456', login) })).body.error, 'bad_signature', 'the sha256= prefix is part of the header');
  const records = (await stored()).map((record) => record.event);
  assert.equal(records.length, files.length);
  for (const event of records) assert.notEqual(event.action.type, 'WSO2.EVENT', `${String(event.action.description)} is mapped`);
  const failed = records.find((event) => event.id === '7ef94943-2004-4f72-b476-9baffe5623c7')!;
  assert.deepEqual({ type: failed.action.type, recordedAt: failed.recordedAt, result: failed.result, user: (failed.actors as { user: unknown }).user, client: (failed.actors as { client: unknown }).client }, {
    type: 'AUTHENTICATION.FAILED',
    recordedAt: new Date(1751709144508).toISOString(),
    result: { status: 'FAILED', description: 'User authentication failed due to invalid credentials' },
    user: { name: 'johndoe@aol.com', email: 'johndoe@aol.com' },
    client: { id: '63d8a96f-ff87-4f38-a1d7-4d10ee470d9a', name: 'Test App' },
  });
  assert.equal(Object.keys(asgardeoActionTypes).length, 28, 'every URI of the published list has an action type');
  // An event URI the table does not know is stored with a generic type and counted, never dropped.
  const unknown = Buffer.from(JSON.stringify({ iss: 'x', jti: 'u-1', iat: 1755541960053, events: { 'https://schemas.identity.wso2.org/events/verification/event-type/somethingNew': {} } }));
  assert.equal((await post('wso2', unknown, { 'x-hub-signature': `sha256=${hmac('sha256', 'wso2-secret-456', unknown)}` })).status, 202);
  assert.equal((await stored()).at(-1)!.event.action.type, 'WSO2.EVENT');
  assert.equal(await metric('siem_gateway_source_unknown_types_total{source="wso2"}'), 1);
});

test('am-webhook: JSON and form bodies with a shared token, unresolved ${variables} absent, fieldMap applied', async (t) => {
  const { post, stored } = await sourceGateway(t);
  const json = JSON.stringify({ event: '${WebhookEventType}', WebhookEventType: 'LOGOUT', UserId: 'id=demo,ou=user,dc=example', Principal: 'demo', AMCtxId: '22e73c81-708e-4849-b064-db29b68ef943-105372', Host: '10.0.0.7', Organization: 'dc=example', Service: '${Service}', user: 'Demo User' });
  assert.deepEqual((await post('am', json, { authorization: 'Bearer am-shared-token-789' })).body, { accepted: 1, stored: 1 });
  const form = 'WebhookEventType=IDLE_TIMEOUT&UserId=id%3Dalice&AMCtxId=ctx-2&Principal=%24%7BPrincipal%7D&when=2026-11-24T10%3A00%3A00Z';
  assert.equal((await post('am', form, { authorization: 'Bearer am-shared-token-789', 'content-type': 'application/x-www-form-urlencoded' })).status, 202);
  assert.equal((await post('am-header', json, { 'x-am-token': 'am-header-token-789' })).status, 202);
  assert.equal((await post('am', json, { authorization: 'Bearer wrong' })).body.error, 'unauthorized');
  assert.equal((await post('am', json)).body.error, 'unauthorized');
  assert.equal((await post('am', 'x', { authorization: 'Bearer am-shared-token-789', 'content-type': 'text/plain' })).status, 415);
  const [logout, idle] = (await stored()).map((record) => record.event);
  assert.deepEqual({ ...logout, recordedAt: undefined, _original: undefined }, {
    id: '22e73c81-708e-4849-b064-db29b68ef943-105372:LOGOUT',
    recordedAt: undefined,
    action: { type: 'SESSION.LOGOUT', description: 'LOGOUT' },
    actors: { user: { id: 'id=demo,ou=user,dc=example', name: 'Demo User' } },
    session: { id: '22e73c81-708e-4849-b064-db29b68ef943-105372' },
    source: { ipAddress: '10.0.0.7' },
    organization: { name: 'dc=example' },
    result: { status: 'SUCCESS' },
    _original: undefined,
  });
  const { Host: _host, ...sentWithoutHost } = JSON.parse(json) as Record<string, unknown>;
  assert.deepEqual(JSON.parse(logout!._original as string), sentWithoutHost, 'the body AM sent, less Host (in source.ipAddress)');
  assert.deepEqual([idle!.action.type, idle!.recordedAt, (idle!.actors as { user: { name?: string } }).user.name], ['SESSION.IDLE_TIMEOUT', '2026-11-24T10:00:00.000Z', undefined], 'the unresolved ${Principal} is absent');
});

test('pingone: a JSON array and NDJSON, bearer and basic credentials, stored as sent; oversize and malformed refused', async (t) => {
  const { post, stored, gateway, metric } = await sourceGateway(t);
  const events = ['pingone-activity-user-access-allowed.elastic.json', 'pingone-activity-application-updated.elastic.json'].map((name) => JSON.parse(fixture(name).toString()) as { id: string });
  // Both documentation samples carry the same placeholder id; one array holding an id twice is stored once.
  events[1] = { ...events[1]!, id: 'pingone-application-updated-1' };
  const array = JSON.stringify(events);
  assert.deepEqual((await post('p1', array, { authorization: 'Bearer pingone-bearer-000' })).body, { accepted: 2, stored: 2 });
  const ndjson = `${JSON.stringify({ ...events[0], id: 'nd-1' })}\n${JSON.stringify({ ...events[1], id: 'nd-2' })}\n`;
  assert.equal((await post('p1-basic', ndjson, { authorization: `Basic ${Buffer.from('pingone:basic-pass-111').toString('base64')}`, 'content-type': 'application/x-ndjson' })).status, 202);
  assert.equal((await post('p1', array, { authorization: 'Bearer nope' })).body.error, 'unauthorized');
  assert.equal((await post('p1', '[{"id":', { authorization: 'Bearer pingone-bearer-000' })).body.error, 'malformed');
  assert.equal((await post('p1', JSON.stringify([{ id: 'x' }]), { authorization: 'Bearer pingone-bearer-000' })).body.error, 'invalid_event');
  const records = await stored();
  assert.deepEqual(records.map((record) => [record.event.id, record.environment]), [[events[0]!.id, 'prod'], [events[1].id, 'prod'], ['nd-1', 'dev'], ['nd-2', 'dev']]);
  assert.equal(JSON.stringify(records[0]!.event), JSON.stringify(events[0]), 'stored as sent');
  // A redelivery (PingOne retries after a timeout) is acknowledged, stored once.
  assert.deepEqual((await post('p1', array, { authorization: 'Bearer pingone-bearer-000' })).body, { accepted: 2, stored: 0 });
  assert.equal(await metric('siem_gateway_events_deduplicated_total{source="p1"}'), 2);
  // Over server.maxBodyKB: 413, counted, nothing stored.
  const oversize = await post('p1', `[${'"x",'.repeat(1_100_000)}"x"]`, { authorization: 'Bearer pingone-bearer-000' });
  assert.deepEqual([oversize.status, oversize.body.error], [413, 'too_large']);
  assert.equal(gateway.journal.stats().lastSeq, 4);
});
