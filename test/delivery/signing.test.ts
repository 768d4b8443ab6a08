// Signed deliveries, verified the way a receiver would: the Keycloak and WebSub hub HMAC headers
// recomputed with node:crypto over the exact bytes received, and Standard Webhooks signatures
// verified by the `standardwebhooks` package (an independent implementation). The signing secret
// is write-only in the management API, and a PUT that leaves it out keeps it.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { parseConfigText } from '../../src/config/load-config.js';
import { HttpSink } from '../helpers/http-sink.js';
import { opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';

test('keycloak, hub and standard-webhooks signatures verify over the bytes received; the secret is write-only', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const whsec = `whsec_${randomBytes(24).toString('base64')}`;
  const subscription = (id: string, signing: string, encoding = 'ND_JSON') => `  - id: ${id}
    environment: prod
    httpEndpoint: { url: "${sink.url}/${id}" }
    filterOptions: { includedActionTypes: ["*"] }
    signing: ${signing}
    payloadOptions: { flushMs: 20, payloadFormat: { https: { format: ${encoding} } } }
`;
  const { ingestUrl, adminUrl } = await startGateway(t, {
    extra: `subscriptions:
${subscription('kc', '{ type: keycloak, secret: "keycloak-shared-secret-1" }')}${subscription('hub', '{ type: hub, secret: "hub-shared-secret-2222" }', 'JSON_ARRAY')}${subscription('std', `{ type: standard-webhooks, secret: "${whsec}" }`)}`,
  });
  await sendEvents(ingestUrl, [{ id: 's1', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' }, actors: { user: { name: 'Zoë "quoted"' } } }]);
  const received = (path: string) => sink.requests.filter((request) => request.url === path);
  await until(() => ['/kc', '/hub', '/std'].every((path) => received(path).length >= 1), 10_000);

  const kc = received('/kc')[0]!;
  assert.equal(kc.headers['x-keycloak-signature'], createHmac('sha256', 'keycloak-shared-secret-1').update(Buffer.from(kc.body)).digest('hex'));
  const hub = received('/hub')[0]!;
  assert.equal(hub.headers['x-hub-signature'], `sha256=${createHmac('sha256', 'hub-shared-secret-2222').update(Buffer.from(hub.body)).digest('hex')}`);
  const std = received('/std')[0]!;
  // One NDJSON line is one JSON document: the package parses it once verified.
  const verified = new Webhook(whsec).verify(std.body, { 'webhook-id': String(std.headers['webhook-id']), 'webhook-timestamp': String(std.headers['webhook-timestamp']), 'webhook-signature': String(std.headers['webhook-signature']) }) as { id: string };
  assert.equal(verified.id, 's1');
  assert.throws(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(std.body, { 'webhook-id': String(std.headers['webhook-id']), 'webhook-timestamp': String(std.headers['webhook-timestamp']), 'webhook-signature': String(std.headers['webhook-signature']) }), 'another secret does not verify');
  assert.equal(std.headers['webhook-id'], std.headers['x-siem-gateway-batch'], 'the id is the batch id, stable across retries');

  // Write-only in the API: not returned, kept by a PUT that leaves it out.
  const api = (method: string, path: string, body?: unknown) => fetch(`${adminUrl}/v1/environments/prod/subscriptions${path}`, { method, headers: { authorization: `Bearer ${opsToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const created = await api('POST', '', { id: 'api-signed', httpEndpoint: { url: `${sink.url}/api-signed` }, filterOptions: { includedActionTypes: ['*'] }, signing: { type: 'keycloak', secret: 'api-signing-secret-33' }, payloadOptions: { flushMs: 20, payloadFormat: { https: { format: 'ND_JSON' } } } });
  const body = (await created.json()) as { signing: Record<string, unknown> };
  assert.deepEqual(body.signing, { type: 'keycloak' });
  assert.equal((await api('PUT', '/api-signed', { ...body, name: 'renamed' })).status, 200);
  await sendEvents(ingestUrl, [{ id: 's2', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }]);
  await until(() => received('/api-signed').some((request) => request.body.includes('"s2"')), 10_000);
  const signed = received('/api-signed').find((request) => request.body.includes('"s2"'))!;
  assert.equal(signed.headers['x-keycloak-signature'], createHmac('sha256', 'api-signing-secret-33').update(Buffer.from(signed.body)).digest('hex'), 'the kept secret still signs');
});

test('signing is validated: HTTPS only, and a Standard Webhooks secret in whsec_ form', () => {
  const config = (signing: string, protocol = 'HTTPS') => `environments: [ { id: prod } ]
subscriptions:
  - id: s
    environment: prod
    protocol: ${protocol}
    ${protocol === 'HTTPS' ? 'httpEndpoint: { url: "https://collector.example/x" }' : 'connectionDetails: { url: "tls://collector.example:6514" }'}
    filterOptions: { includedActionTypes: ["*"] }
    signing: ${signing}
`;
  assert.throws(() => parseConfigText(config('{ type: hub, secret: "a-long-enough-secret" }', 'TCP_IP'), 'g.yaml'), /subscriptions\[0\]\.signing: is only used with protocol HTTPS/);
  assert.throws(() => parseConfigText(config('{ type: standard-webhooks, secret: "not-a-whsec-secret-at-all" }'), 'g.yaml'), /signing\.secret: must be whsec_ followed by the base64 key/);
  assert.throws(() => parseConfigText(config('{ type: sha512, secret: "a-long-enough-secret" }'), 'g.yaml'), /signing\.type/);
  assert.doesNotThrow(() => parseConfigText(config(`{ type: standard-webhooks, secret: "whsec_${randomBytes(24).toString('base64')}" }`), 'g.yaml'));
});
