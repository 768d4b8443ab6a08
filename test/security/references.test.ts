// Item 1 and 5 of tenant isolation: `${env:…}` and `${file:…}` are the operator's. Through the
// management API they are never resolved and are refused with a 400 naming the field, through
// create, update, test-send and replay; a stored secret never follows a subscription to a new host.
// An environment admin tries to make the gateway send the root token and another environment's
// secret file to a sink of theirs: the sink records everything, and nothing secret may arrive.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { HttpSink } from '../helpers/http-sink.js';
import { until } from '../helpers/manual-clock.js';
import { devSecret, event, rootToken, startTenantGateway, subscriptionTo } from './tenant-gateway.js';

const base = '/v1/environments/prod/subscriptions';

function assertNothingSecret(sink: HttpSink, dir: string): void {
  for (const request of sink.requests) {
    const seen = JSON.stringify(request);
    assert.ok(!seen.includes(rootToken), 'the root token reached the sink');
    assert.ok(!seen.includes(devSecret), 'the dev secret file reached the sink');
    assert.ok(!seen.includes(dir), 'a path of the gateway reached the sink');
  }
}

test('API objects: references are refused with a 400 naming the field, never resolved, on create and update', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const gateway = await startTenantGateway(t);
  const secretFile = join(gateway.dir, 'dev-secret.txt');
  const attempts: [Record<string, unknown>, string][] = [
    [subscriptionTo(`${sink.url}/x`, { httpEndpoint: { url: `${sink.url}/x`, headers: { 'X-Leak': '${env:ADMIN_TOKEN}' } } }), '/httpEndpoint/headers/X-Leak'],
    [subscriptionTo(`${sink.url}/x`, { httpEndpoint: { url: `${sink.url}/x`, headers: { 'X-Leak': `\${file:${secretFile}}` } } }), '/httpEndpoint/headers/X-Leak'],
    [subscriptionTo(`${sink.url}/\${env:ADMIN_TOKEN}`), '/httpEndpoint/url'],
    [subscriptionTo(`${sink.url}/x`, { basicAuth: { username: 'u', password: `\${file:${secretFile}}` } }), '/basicAuth/password'],
    [subscriptionTo(`${sink.url}/x`, { signing: { type: 'hub', secret: '${env:ADMIN_TOKEN}' } }), '/signing/secret'],
    [subscriptionTo(`${sink.url}/x`, { format: 'TEMPLATE', template: { body: '{"t":"${env:ADMIN_TOKEN}"}', contentType: 'application/json' } }), '/template/body'],
    [subscriptionTo(`${sink.url}/x`, { name: '${ env:ADMIN_TOKEN }' }), '/name'],
  ];
  for (const [body, field] of attempts) {
    const created = await gateway.call('POST', base, body);
    assert.equal(created.status, 400, `${field}: ${created.text}`);
    assert.ok(created.body.problems!.some((problem) => problem.path === field && /reference/.test(problem.message)), `${field}: ${created.text}`);
    assert.ok(!created.text.includes(rootToken) && !created.text.includes(devSecret));
  }
  // The answer is the same whether the variable or file exists or not: nothing to probe with.
  const existing = await gateway.call('POST', base, attempts[0]![0]);
  const missing = await gateway.call('POST', base, subscriptionTo(`${sink.url}/x`, { httpEndpoint: { url: `${sink.url}/x`, headers: { 'X-Leak': '${env:NO_SUCH_VARIABLE_HERE}' } } }));
  assert.equal(existing.text, missing.text);
  const missingFile = await gateway.call('POST', base, subscriptionTo(`${sink.url}/x`, { httpEndpoint: { url: `${sink.url}/x`, headers: { 'X-Leak': '${file:/no/such/file}' } } }));
  assert.equal(missingFile.text.replace('/no/such/file', ''), (await gateway.call('POST', base, attempts[1]![0])).text.replace(secretFile, ''));

  // Update: a good subscription may not be changed into a leaking one.
  const good = await gateway.call('POST', base, subscriptionTo(`${sink.url}/good`, { id: 'good' }));
  assert.equal(good.status, 201, good.text);
  const updated = await gateway.call('PUT', `${base}/good`, subscriptionTo(`${sink.url}/good`, { httpEndpoint: { url: `${sink.url}/good`, headers: { Authorization: 'Bearer ${env:ADMIN_TOKEN}' } } }));
  assert.equal(updated.status, 400, updated.text);
  assert.deepEqual(updated.body.problems!.map((problem) => problem.path), ['/httpEndpoint/headers/Authorization']);

  // Key pairs: a passphrase is the tenant's text too.
  const key = await gateway.call('POST', '/v1/environments/prod/keys', { id: 'k', usage: 'OUTBOUND_MTLS', pkcs12: 'AAAA', passphrase: '${env:ADMIN_TOKEN}' });
  assert.equal(key.status, 400, key.text);
  assert.ok(key.body.problems!.some((problem) => problem.path === '/passphrase' && /reference/.test(problem.message)), key.text);

  // A TEMPLATE placeholder in a header is the tenant's text, not a secret: it reads back as written.
  const template = await gateway.call('POST', base, subscriptionTo(`${sink.url}/t`, { id: 'templated', format: 'TEMPLATE', template: { body: '{"u":"${username}"}', contentType: 'application/json' }, httpEndpoint: { url: `${sink.url}/t`, headers: { 'X-User': '${username}' } } }));
  assert.equal(template.status, 201, template.text);
  assert.equal(((await gateway.call('GET', `${base}/templated`)).body.httpEndpoint as { headers: Record<string, string> }).headers['X-User'], '${username}');

  // What the sink saw through test-send, live delivery and a replay of the good one: nothing secret.
  assert.equal((await gateway.call('POST', `${base}/good/test`)).status, 200);
  await gateway.postEvents('prod', [event('e-1'), event('e-2')]);
  await until(() => sink.requests.filter((request) => request.url === '/good').length >= 2, 10_000, 'test event and the live batch');
  const replay = await gateway.call('POST', `${base}/good/replay`, { from: new Date(Date.now() - 60_000).toISOString(), to: new Date().toISOString() });
  assert.equal(replay.status, 202, replay.text);
  await until(() => sink.requests.filter((request) => request.url === '/good').length >= 3, 10_000, 'the replayed batch');
  assertNothingSecret(sink, gateway.dir);
});

test('a stored object holding a reference (written by an older version) is named at start and never run', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const managed = {
    objects: [
      { kind: 'subscription', environment: 'prod', id: 'old-leak', version: 1, value: subscriptionTo(`${sink.url}/leak`, { httpEndpoint: { url: `${sink.url}/leak`, headers: { 'X-Leak': '${env:ADMIN_TOKEN}' } } }) },
      { kind: 'subscription', environment: 'prod', id: 'fine', version: 1, value: subscriptionTo(`${sink.url}/fine`) },
    ],
  };
  const gateway = await startTenantGateway(t, { files: { 'data/managed/managed.json': JSON.stringify(managed) } });
  const named = await gateway.process.waitFor((line) => line.subscription === 'old-leak' && line.level >= 50);
  assert.match(String(named.msg), /old-leak.*reference/);
  await gateway.postEvents('prod', [event('e-1')]);
  await until(() => sink.requests.some((request) => request.url === '/fine'), 10_000, 'delivery of the good subscription');
  assert.ok(!sink.requests.some((request) => request.url === '/leak'));
  assertNothingSecret(sink, gateway.dir);
});

test('a PUT that moves a subscription to another host must send its secrets again (400 naming each)', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const gateway = await startTenantGateway(t);
  const secrets = { id: 's', basicAuth: { username: 'u', password: 'basic-password-111' }, signing: { type: 'hub', secret: 'signing-secret-222' } };
  const created = await gateway.call('POST', base, subscriptionTo(`${sink.url}/a`, { ...secrets, httpEndpoint: { url: `${sink.url}/a`, headers: { 'X-Api-Key': 'header-secret-333' } } }));
  assert.equal(created.status, 201, created.text);
  const read = await gateway.call('GET', `${base}/s`);
  const sentBack = { ...read.body } as Record<string, unknown>;
  // Same host, another path: the stored secrets are kept.
  const samePlace = await gateway.call('PUT', `${base}/s`, { ...sentBack, httpEndpoint: { url: `${sink.url}/b`, headers: { 'X-Api-Key': null } } });
  assert.equal(samePlace.status, 200, samePlace.text);
  // Another host (localhost instead of 127.0.0.1), scheme or port: each kept secret is named.
  for (const url of [sink.url.replace('127.0.0.1', 'localhost'), sink.url.replace('http:', 'https:'), 'http://127.0.0.1:9']) {
    const moved = await gateway.call('PUT', `${base}/s`, { ...sentBack, httpEndpoint: { url: `${url}/c`, headers: { 'X-Api-Key': null } } });
    assert.equal(moved.status, 400, moved.text);
    assert.deepEqual(moved.body.problems!.map((problem) => problem.path).sort(), ['/basicAuth/password', '/httpEndpoint/headers/X-Api-Key', '/signing/secret']);
  }
  // Sent again, the move is accepted.
  const resent = await gateway.call('PUT', `${base}/s`, { ...sentBack, basicAuth: { username: 'u', password: 'new-password' }, signing: { type: 'hub', secret: 'new-signing-secret-444' }, httpEndpoint: { url: 'http://127.0.0.1:9/c', headers: { 'X-Api-Key': 'new-key' } } });
  assert.equal(resent.status, 200, resent.text);
});
