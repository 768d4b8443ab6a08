// The subscription routes of the management API against a real gateway on loopback and a real
// sink: create, read, page, replace, delete, and every refusal (validation, 401, 403, 404 across
// environments, 409 for file objects, 412 for a stale If-Match), with secrets write-only.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createCa, toPkcs12 } from '../helpers/certificates.js';
import { freePort } from '../helpers/free-port.js';
import { HttpSink } from '../helpers/http-sink.js';
import { opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const prodAdmin = 'admin-token-prod-only-0123';
const metricsOnly = 'metrics-token-only-012345';
const tokens = `    - { name: prod-admin, token: "${prodAdmin}", scopes: [admin], environments: [prod] }
    - { name: metrics-reader, token: "${metricsOnly}", scopes: [metrics] }
`;

async function gatewayWithApi(t: TestContext, sinkUrl = 'https://127.0.0.1:9/x') {
  const started = await startGateway(t, {
    tokens,
    extra: `subscriptions:
  - id: from-file
    environment: prod
    httpEndpoint: { url: "${sinkUrl}/file", headers: { Authorization: "Bearer file-literal-secret" } }
    filterOptions: { includedActionTypes: ["*"] }
`,
  });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token = opsToken) => {
    const response = await fetch(`${started.adminUrl}${path}`, {
      method,
      headers: { ...(token === '' ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, etag: response.headers.get('etag'), location: response.headers.get('location'), body: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown> & { problems?: { path: string; message: string }[] } };
  };
  return { ...started, call };
}

const subscriptions = '/v1/environments/prod/subscriptions';

test('create, read, page, replace and delete; secrets are write-only and kept by a PUT that leaves them out', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const { call, lines, ingestUrl } = await gatewayWithApi(t);
  const created = await call('POST', subscriptions, {
    id: 'api-1',
    name: 'From the API',
    httpEndpoint: { url: `${sink.url}/api-1`, headers: { 'X-Api-Key': 'api-key-secret-77', 'X-Plain': 'visible' } },
    basicAuth: { username: 'collector', password: 'basic-secret-88' },
    filterOptions: { includedActionTypes: ['*'] },
    payloadOptions: { flushMs: 20 },
    managedBy: 'file', // read-only: ignored
  });
  assert.equal(created.status, 201);
  assert.equal(created.etag, '"1"');
  assert.equal(created.location, `${subscriptions}/api-1`);
  assert.deepEqual(created.body.httpEndpoint, { url: `${sink.url}/api-1`, headers: { 'X-Api-Key': null, 'X-Plain': 'visible' } });
  assert.deepEqual(created.body.basicAuth, { username: 'collector' });
  assert.equal(created.body.managedBy, 'api');

  // It runs at once: events reach the sink with the credentials.
  await sendEvents(ingestUrl, [{ id: 'e1', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }]);
  await until(() => sink.requests.length >= 1, 10_000);
  assert.equal(sink.requests[0]!.headers['x-api-key'], 'api-key-secret-77');
  assert.equal(sink.requests[0]!.headers.authorization, `Basic ${Buffer.from('collector:basic-secret-88').toString('base64')}`);

  const one = await call('GET', `${subscriptions}/api-1`);
  assert.equal(one.etag, '"1"');
  assert.deepEqual(one.body, created.body);
  const list = await call('GET', subscriptions);
  assert.deepEqual((list.body.subscriptions as { id: string; managedBy: string }[]).map((s) => [s.id, s.managedBy]), [['api-1', 'api'], ['from-file', 'file']]);
  const fileObject = (list.body.subscriptions as Record<string, { headers?: Record<string, unknown> }>[])[1]!;
  assert.deepEqual(fileObject.httpEndpoint!.headers, { Authorization: null }, 'a file secret is not shown either');

  // PUT without the secrets (as a client would send back what it read) keeps them.
  const replaced = await call('PUT', `${subscriptions}/api-1`, { ...one.body, name: 'Renamed' }, { 'if-match': '"1"' });
  assert.equal(replaced.status, 200);
  assert.equal(replaced.etag, '"2"');
  assert.equal(replaced.body.name, 'Renamed');
  await sendEvents(ingestUrl, [{ id: 'e2', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }]);
  await until(() => sink.requests.some((request) => request.body.includes('"e2"')), 10_000);
  const second = sink.requests.find((request) => request.body.includes('"e2"'))!;
  assert.equal(second.headers['x-api-key'], 'api-key-secret-77');
  assert.equal(second.headers.authorization, `Basic ${Buffer.from('collector:basic-secret-88').toString('base64')}`);

  // Stale If-Match: 412, nothing changed.
  assert.equal((await call('PUT', `${subscriptions}/api-1`, { ...one.body, name: 'Lost update' }, { 'if-match': '"1"' })).status, 412);
  assert.equal((await call('DELETE', `${subscriptions}/api-1`, undefined, { 'if-match': '"1"' })).status, 412);
  assert.equal((await call('GET', `${subscriptions}/api-1`)).body.name, 'Renamed');

  // The audit trail: one line per change, field names only.
  const audit = lines.filter((line) => line.msg === 'admin change');
  assert.deepEqual(audit.map((line) => [line.tokenName, line.environment, line.kind, line.id, line.operation]), [['ops', 'prod', 'subscription', 'api-1', 'create'], ['ops', 'prod', 'subscription', 'api-1', 'replace']]);
  assert.deepEqual(audit[1]!.fields, ['name']);

  assert.equal((await call('DELETE', `${subscriptions}/api-1`, undefined, { 'if-match': '"2"' })).status, 204);
  assert.equal((await call('GET', `${subscriptions}/api-1`)).status, 404);
  assert.equal(lines.filter((line) => line.msg === 'admin change').at(-1)!.operation, 'delete');
  const everything = JSON.stringify(lines);
  for (const secret of ['api-key-secret-77', 'basic-secret-88', 'file-literal-secret']) assert.ok(!everything.includes(secret), `${secret} is in a log line`);
});

test('refusals: validation problems name the field; 401, 403, 404 across environments, 409, 403 past 50, paging', async (t) => {
  const { call, dir } = await gatewayWithApi(t);
  const valid = { httpEndpoint: { url: 'https://127.0.0.1:9/x' }, filterOptions: { includedActionTypes: ['*'] } };

  const bad = await call('POST', subscriptions, { ...valid, bogus: 1, enabled: 'yes', filterOptions: { includedActionTypes: [] } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error, 'invalid_subscription');
  assert.deepEqual(bad.body.problems!.map((p) => p.path).sort(), ['/bogus', '/enabled', '/filterOptions/includedActionTypes']);
  for (const id of ['a/b', '..', '../etc']) {
    const answer = await call('POST', subscriptions, { ...valid, id });
    assert.equal(answer.status, 400, id);
    assert.equal(answer.body.problems![0]!.path, '/id');
  }
  const otherEnvironment = await call('POST', subscriptions, { ...valid, environment: 'dev' });
  assert.deepEqual([otherEnvironment.status, otherEnvironment.body.problems![0]!.path], [400, '/environment']);
  const unknownKey = await call('POST', subscriptions, { ...valid, tlsClientAuthKeyPair: { id: 'nope' } });
  assert.deepEqual([unknownKey.status, unknownKey.body.problems![0]], [400, { path: '/tlsClientAuthKeyPair/id', message: 'unknown key "nope" in environment "prod"' }]);
  const huge = await call('POST', subscriptions, { ...valid, name: 'x'.repeat(1 << 20) });
  assert.deepEqual([huge.status, huge.body.error], [400, 'too_large']);
  assert.deepEqual([(await call('POST', subscriptions, '{"id": ')).status], [400]);
  assert.equal((await call('POST', subscriptions, { ...valid, id: 'from-file' })).status, 409);

  assert.equal((await call('GET', subscriptions, undefined, {}, '')).status, 401);
  assert.equal((await call('GET', subscriptions, undefined, {}, metricsOnly)).status, 403);
  assert.equal((await call('GET', subscriptions, undefined, {}, prodAdmin)).status, 200);
  const hidden = await call('POST', '/v1/environments/dev/subscriptions', { ...valid, id: 'dev-1' });
  assert.equal(hidden.status, 201);
  for (const [method, path] of [['GET', '/v1/environments/dev/subscriptions'], ['GET', '/v1/environments/dev/subscriptions/dev-1'], ['DELETE', '/v1/environments/dev/subscriptions/dev-1']] as const) {
    assert.equal((await call(method, path, undefined, {}, prodAdmin)).status, 404, `${method} ${path} with a prod-only token`);
  }
  assert.equal((await call('GET', '/v1/environments/nowhere/subscriptions')).status, 404);

  assert.equal((await call('PUT', `${subscriptions}/from-file`, valid)).status, 409);
  assert.equal((await call('DELETE', `${subscriptions}/from-file`)).status, 409);
  assert.equal((await call('PUT', `${subscriptions}/missing`, valid)).status, 404);

  // 50 per environment: from-file plus 49 more fit, the 51st is refused.
  for (let i = 0; i < 49; i++) assert.equal((await call('POST', subscriptions, { ...valid, id: `n${String(i).padStart(2, '0')}` })).status, 201);
  const past = await call('POST', subscriptions, { ...valid, id: 'one-too-many' });
  assert.deepEqual([past.status, past.body.error], [403, 'limit_reached']);
  // Paging by id.
  const first = await call('GET', `${subscriptions}?limit=20`);
  assert.equal((first.body.subscriptions as unknown[]).length, 20);
  const secondPage = await call('GET', `${subscriptions}?limit=40&after=${String(first.body.next)}`);
  assert.equal((secondPage.body.subscriptions as unknown[]).length, 30);
  assert.equal(secondPage.body.next, undefined);
  assert.equal((await call('GET', `${subscriptions}?limit=0`)).status, 400);
  assert.ok(readFileSync(join(dir, 'data', 'managed', 'managed.json'), 'utf8').includes('"n48"'), 'stored durably');
});

test('status and retry: a failing destination shows its last attempt; retry ends the backoff wait at once', async (t) => {
  let healthy = false;
  const sink = await HttpSink.start({ handler: () => (healthy ? { status: 200 } : { status: 503, body: '{"text":"Server is busy","code":9}' }) });
  t.after(() => sink.close());
  const { call, ingestUrl } = await gatewayWithApi(t);
  assert.equal((await call('POST', subscriptions, { id: 'flaky', httpEndpoint: { url: `${sink.url}/flaky` }, filterOptions: { includedActionTypes: ['*'] }, payloadOptions: { flushMs: 20 } })).status, 201);
  await sendEvents(ingestUrl, [{ id: 'r1', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }]);
  // Let the backoff grow past a few seconds.
  await until(() => sink.requests.length >= 5, 20_000);
  const status = await call('GET', `${subscriptions}/flaky/status`);
  assert.equal(status.body.state, 'retrying');
  assert.equal(status.body.backlogEvents, 1);
  assert.deepEqual({ ...(status.body.lastAttempt as Record<string, unknown>), time: undefined }, { time: undefined, status: 503, outcome: 'failed', events: 1 });
  assert.ok((status.body.recentAttempts as unknown[]).length >= 5, 'the recent attempts are listed');
  assert.equal(status.body.deadLetters, 0);
  healthy = true;
  const before = sink.requests.length;
  const retried = await call('POST', `${subscriptions}/flaky/retry`);
  assert.deepEqual(retried.body, { retried: true });
  await until(() => sink.requests.length > before && sink.statuses.at(-1) === 200, 2000);
  await until(async () => (await call('GET', `${subscriptions}/flaky/status`)).body.state === 'ok', 5000);
  const after = await call('GET', `${subscriptions}/flaky/status`);
  assert.equal(after.body.deliveredLastMinute, 1);
  assert.equal((await call('GET', `${subscriptions}/nope/status`)).status, 404);
});

test('dead letters: listed newest first, replayed once the destination is fixed (they leave the store only when delivered), purged; a time range replayed beside live delivery', async (t) => {
  let refusePoison = true;
  const sink = await HttpSink.start({ handler: (request) => (refusePoison && request.body.includes('"poison"') ? { status: 400, body: '{"text":"Invalid data format","code":6}' } : { status: 200 }) });
  t.after(() => sink.close());
  const { call, ingestUrl, gateway } = await gatewayWithApi(t);
  const ndjson = { https: { format: 'ND_JSON' } };
  assert.equal((await call('POST', subscriptions, { id: 'dl', httpEndpoint: { url: `${sink.url}/dl` }, filterOptions: { includedActionTypes: ['*'] }, payloadOptions: { flushMs: 20, payloadFormat: ndjson } })).status, 201);
  const event = (id: string, extra: Record<string, unknown> = {}) => ({ id, recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' }, ...extra });
  const rangeStart = new Date().toISOString();
  await sendEvents(ingestUrl, [event('ok-1'), event('bad-1', { kind: 'poison' }), event('ok-2'), event('bad-2', { kind: 'poison' })]);
  await until(() => gateway.journal.stats().cursors.dl === 4, 10_000);
  const rangeEnd = new Date().toISOString();

  const listed = await call('GET', `${subscriptions}/dl/dead-letters`);
  assert.equal(listed.body.total, 2);
  assert.deepEqual((listed.body.deadLetters as { event: { id: string } }[]).map((letter) => letter.event.id), ['bad-2', 'bad-1'], 'newest first');
  const paged = await call('GET', `${subscriptions}/dl/dead-letters?limit=1`);
  assert.deepEqual([(paged.body.deadLetters as unknown[]).length, paged.body.next], [1, 4]);
  assert.equal((await call('GET', `${subscriptions}/dl/status`)).body.deadLetters, 2);

  // The destination is fixed: replay only bad-1 first, then the rest.
  refusePoison = false;
  const one = await call('POST', `${subscriptions}/dl/dead-letters/replay`, { seqs: [2] });
  assert.equal(one.status, 202);
  await until(async () => (await call('GET', `${subscriptions}/dl/replays/${String(one.body.id)}`)).body.state === 'done', 10_000);
  assert.equal((await call('GET', `${subscriptions}/dl/replays/${String(one.body.id)}`)).body.removedDeadLetters, 1);
  assert.deepEqual(((await call('GET', `${subscriptions}/dl/dead-letters`)).body.deadLetters as { event: { id: string } }[]).map((letter) => letter.event.id), ['bad-2']);
  assert.equal((await call('POST', `${subscriptions}/dl/dead-letters/replay`, { seqs: [99] })).status, 400);
  const purged = await call('DELETE', `${subscriptions}/dl/dead-letters`);
  assert.deepEqual(purged.body, { removed: 1 });
  assert.equal((await call('GET', `${subscriptions}/dl/dead-letters`)).body.total, 0);
  assert.ok(sink.eventIds().includes('bad-1') && !sink.eventIds().includes('bad-2'));

  // A time range the subscription has delivered already is sent again; its cursor does not move.
  const before = sink.eventIds().length;
  const bad = await call('POST', `${subscriptions}/dl/replay`, { from: 'yesterday', to: rangeEnd });
  assert.deepEqual([bad.status, bad.body.problems], [400, [{ path: '/from', message: 'must be an ISO-8601 time with a zone, for example 2026-01-31T00:00:00Z' }]]);
  const replay = await call('POST', `${subscriptions}/dl/replay`, { from: rangeStart, to: rangeEnd });
  assert.equal(replay.status, 202);
  await until(async () => (await call('GET', `${subscriptions}/dl/replays/${String(replay.body.id)}`)).body.state === 'done', 10_000);
  assert.deepEqual(sink.eventIds().slice(before), ['ok-1', 'bad-1', 'ok-2', 'bad-2']);
  assert.equal(gateway.journal.stats().cursors.dl, 4, 'the live cursor did not move');
  assert.equal((await call('GET', `${subscriptions}/dl/replays/not-a-job`)).status, 404);
});

test('test-send: one synthetic event to an mTLS destination reports status, latency and the peer certificate; a closed port reports the exact error', async (t) => {
  const ca = createCa();
  const server = ca.issue({ commonName: 'siem.test', ips: ['127.0.0.1'] });
  const client = ca.issue({ commonName: 'gateway-client', client: true });
  const sink = await HttpSink.start({ tls: { cert: server.cert, key: server.key, ca: ca.cert, requestCert: true } });
  t.after(() => sink.close());
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ca.pem'), ca.cert);
  writeFileSync(join(dir, 'c.pem'), client.cert);
  writeFileSync(join(dir, 'k.pem'), client.key);
  const started = await startGateway(t, {
    extra: `keys: [ { id: mtls, environment: prod, certFile: ${join(dir, 'c.pem')}, keyFile: ${join(dir, 'k.pem')} } ]
certificates: [ { id: ca, environment: prod, file: ${join(dir, 'ca.pem')} } ]
`,
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${started.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${opsToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const port = await freePort();
  assert.equal((await call('POST', subscriptions, { id: 'mtls', httpEndpoint: { url: `${sink.url}/services/collector/event` }, tlsClientAuthKeyPair: { id: 'mtls' }, trustedCertificates: [{ id: 'ca' }], filterOptions: { includedActionTypes: ['USER.CREATED'] } })).status, 201);
  assert.equal((await call('POST', subscriptions, { id: 'closed', httpEndpoint: { url: `https://127.0.0.1:${port}/x` }, filterOptions: { includedActionTypes: ['*'] } })).status, 201);

  const sent = await call('POST', `${subscriptions}/mtls/test`);
  assert.equal(sent.status, 200);
  assert.deepEqual([sent.body.delivered, sent.body.status, sent.body.response], [true, 200, '{"text":"Success","code":0}']);
  assert.equal(typeof sent.body.latencyMs, 'number');
  const tls = sent.body.tls as { protocol: string; authorized: boolean; peerCertificate: { subject: string; issuer: string; validTo: string } };
  assert.equal(tls.protocol, 'TLSv1.3');
  assert.equal(tls.authorized, true);
  assert.equal(tls.peerCertificate.subject, 'siem.test');
  assert.ok(Date.parse(tls.peerCertificate.validTo) > Date.now());
  // The synthetic event went outside the filters, with the client certificate.
  assert.equal(sink.requests.length, 1);
  assert.equal(sink.requests[0]!.clientCertificate, 'gateway-client');
  assert.match(sink.requests[0]!.body, /"type":"SIEM_GATEWAY\.TEST"/);

  const refused = await call('POST', `${subscriptions}/closed/test`);
  assert.equal(refused.body.delivered, false);
  assert.match(String(refused.body.error), /ECONNREFUSED/);
  assert.match(String((refused.body.tls as { error: string }).error), /ECONNREFUSED/);
});

test('keys and certificates: PEM and PKCS#12 key pairs checked (match, validity, passphrase), private keys never returned, in use cannot be deleted; a subscription uses them at once', async (t) => {
  const ca = createCa();
  const server = ca.issue({ commonName: 'siem.test', ips: ['127.0.0.1'] });
  const client = ca.issue({ commonName: 'gateway-client', client: true });
  const other = ca.issue({ commonName: 'someone-else', client: true });
  const expired = ca.issue({ commonName: 'expired', client: true, notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  const sink = await HttpSink.start({ tls: { cert: server.cert, key: server.key, ca: ca.cert, requestCert: true } });
  t.after(() => sink.close());
  const { call, lines } = await gatewayWithApi(t);
  const keys = '/v1/environments/prod/keys';

  const pem = await call('POST', keys, { id: 'pem', usage: 'OUTBOUND_MTLS', certificate: client.cert, privateKey: client.key });
  assert.equal(pem.status, 201);
  assert.deepEqual([pem.body.id, pem.body.usage, pem.body.managedBy, pem.body.privateKey], ['pem', 'OUTBOUND_MTLS', 'api', undefined]);
  assert.match(String((pem.body.certificates as { subject: string }[])[0]!.subject), /CN=gateway-client/);
  const p12 = await call('POST', keys, { id: 'p12', usage: 'OUTBOUND_MTLS', pkcs12: toPkcs12(client, 'right-pass').toString('base64'), passphrase: 'right-pass' });
  assert.equal(p12.status, 201);

  const refusals: [unknown, string, RegExp][] = [
    [{ id: 'bad-pass', usage: 'OUTBOUND_MTLS', pkcs12: toPkcs12(client, 'right-pass').toString('base64'), passphrase: 'wrong' }, '/passphrase', /wrong passphrase/],
    [{ id: 'mismatch', usage: 'OUTBOUND_MTLS', certificate: client.cert, privateKey: other.key }, '/privateKey', /does not match the certificate/],
    [{ id: 'old', usage: 'OUTBOUND_MTLS', certificate: expired.cert, privateKey: expired.key }, '/certificate', /expired on/],
    [{ id: 'garbage', usage: 'OUTBOUND_MTLS', certificate: 'not pem', privateKey: client.key }, '/certificate', /not a PEM X.509 certificate/],
    [{ id: 'no-usage', certificate: client.cert, privateKey: client.key }, '/usage', /OUTBOUND_MTLS/],
    [{ id: '../x', usage: 'OUTBOUND_MTLS', certificate: client.cert, privateKey: client.key }, '/id', /letters, digits/],
  ];
  for (const [body, path, message] of refusals) {
    const answer = await call('POST', keys, body);
    assert.equal(answer.status, 400, path);
    assert.equal(answer.body.problems![0]!.path, path);
    assert.match(answer.body.problems![0]!.message, message);
  }
  assert.equal((await call('POST', keys, { id: 'pem', usage: 'OUTBOUND_MTLS', certificate: client.cert, privateKey: client.key })).status, 409);
  const ca1 = await call('POST', '/v1/environments/prod/certificates', { id: 'corp-ca', certificate: ca.cert });
  assert.equal(ca1.status, 201);
  assert.equal((await call('POST', '/v1/environments/prod/certificates', { id: 'junk', certificate: 'no certificate here' })).status, 400);

  // A subscription uses them at once.
  assert.equal((await call('POST', subscriptions, { id: 'mtls', httpEndpoint: { url: `${sink.url}/x` }, tlsClientAuthKeyPair: { id: 'p12' }, trustedCertificates: [{ id: 'corp-ca' }], filterOptions: { includedActionTypes: ['*'] } })).status, 201);
  const sent = await call('POST', `${subscriptions}/mtls/test`);
  assert.equal(sent.body.delivered, true);
  assert.equal(sink.requests[0]!.clientCertificate, 'gateway-client');
  // A key of another environment is refused by the subscription's validation.
  assert.equal((await call('POST', '/v1/environments/dev/keys', { id: 'dev-key', usage: 'OUTBOUND_MTLS', certificate: client.cert, privateKey: client.key })).status, 201);
  const crossed = await call('POST', subscriptions, { id: 'crossed', httpEndpoint: { url: `${sink.url}/x` }, tlsClientAuthKeyPair: { id: 'dev-key' }, filterOptions: { includedActionTypes: ['*'] } });
  assert.deepEqual([crossed.status, crossed.body.problems![0]!.path], [400, '/tlsClientAuthKeyPair/id']);

  const listed = await call('GET', keys);
  assert.deepEqual((listed.body.keys as { id: string }[]).map((key) => key.id), ['p12', 'pem']);
  assert.ok(!JSON.stringify(listed.body).includes('PRIVATE KEY'));
  const inUse = await call('DELETE', `${keys}/p12`);
  assert.deepEqual([inUse.status, inUse.body.message], [409, 'key p12 is used by subscription mtls']);
  assert.equal((await call('DELETE', '/v1/environments/prod/certificates/corp-ca')).status, 409);
  assert.equal((await call('DELETE', `${subscriptions}/mtls`)).status, 204);
  assert.equal((await call('DELETE', `${keys}/p12`)).status, 204);
  assert.equal((await call('GET', `${keys}/p12`)).status, 404);
  assert.equal((await call('GET', `${keys}/pem`, undefined, {}, prodAdmin)).status, 200);
  assert.equal((await call('GET', '/v1/environments/dev/keys/dev-key', undefined, {}, prodAdmin)).status, 404);
  assert.ok(!JSON.stringify(lines).includes('PRIVATE KEY'), 'no private key in any log line');
});

test('GET /openapi.json describes every admin route, generated from the routes registered', async (t) => {
  const { adminUrl } = await gatewayWithApi(t);
  const response = await fetch(`${adminUrl}/openapi.json`);
  assert.equal(response.status, 200);
  const document = (await response.json()) as { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, { operationId: string; parameters?: { name: string; in: string; required: boolean }[]; responses: Record<string, unknown>; requestBody?: unknown }>>; components: { schemas: Record<string, unknown> } };
  assert.equal(document.openapi, '3.1.0');
  assert.equal(document.info.title, 'siem-gateway management API');
  for (const path of ['/v1/environments/{envId}/subscriptions', '/v1/environments/{envId}/subscriptions/{id}', '/v1/environments/{envId}/subscriptions/{id}/replays/{jobId}', '/v1/environments/{envId}/keys/{id}', '/readyz', '/openapi.json']) assert.ok(document.paths[path], `${path} is described`);
  const operationIds = new Set<string>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      assert.ok(!operationIds.has(operation.operationId), `${operation.operationId} is unique`);
      operationIds.add(operation.operationId);
      assert.ok(Object.keys(operation.responses).length > 0, `${method} ${path} has responses`);
      const declared = (operation.parameters ?? []).map((parameter) => parameter.name).sort();
      assert.deepEqual(declared, [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name!).sort(), `${method} ${path} declares its path parameters`);
      const refs = JSON.stringify(operation).match(/#\/components\/schemas\/\w+/g) ?? [];
      for (const target of refs) assert.ok(document.components.schemas[target.split('/').at(-1)!], `${target} exists`);
    }
  }
  assert.ok(operationIds.size >= 25);
  assert.deepEqual((document.components.schemas.Subscription as { required: string[] }).required, ['filterOptions'], 'fields with defaults, the id and the environment are optional in the API');
  const subscription = document.components.schemas.Subscription as { properties: Record<string, { properties: Record<string, { writeOnly?: boolean }> }> };
  assert.equal(subscription.properties.basicAuth!.properties.password!.writeOnly, true);
  assert.equal(subscription.properties.signing!.properties.secret!.writeOnly, true);
  assert.equal(subscription.properties.oauth2!.properties.clientSecret!.writeOnly, true);
  assert.ok(subscription.properties.template && subscription.properties.set, 'the TEMPLATE and SET fields are described');
  assert.ok(subscription.properties.elasticsearch && subscription.properties.otlp && subscription.properties.splunk!.properties.indexerAck, 'the ELASTICSEARCH, OTLP and indexer acknowledgement fields are described');
  assert.deepEqual((subscription.properties.format as unknown as { enum: string[] }).enum, ['ACTIVITY', 'SPLUNK', 'NEWRELIC', 'TEMPLATE', 'SET', 'ELASTICSEARCH', 'OTLP', 'OCSF', 'CEF', 'LEEF']);
});

test('every /v1 route: 401 without a token, 403 without the admin scope, 404 for an environment the token may not see', async (t) => {
  const { adminUrl } = await gatewayWithApi(t);
  const document = (await (await fetch(`${adminUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  let checked = 0;
  for (const [template, operations] of Object.entries(document.paths)) {
    if (!template.startsWith('/v1/')) continue;
    const path = template.replace('{envId}', 'dev').replace('{id}', 'some-id').replace('{jobId}', 'some-job');
    for (const method of Object.keys(operations)) {
      const answer = async (token?: string) => {
        const withBody = method === 'post' || method === 'put';
        const response = await fetch(`${adminUrl}${path}`, { method: method.toUpperCase(), headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(withBody ? { 'content-type': 'application/json' } : {}) }, ...(withBody ? { body: '{}' } : {}) });
        await response.arrayBuffer();
        return response.status;
      };
      assert.equal(await answer(), 401, `${method} ${path} without a token`);
      assert.equal(await answer(metricsOnly), 403, `${method} ${path} with a metrics token`);
      // A route of no particular environment (the environments list) is not hidden.
      if (template.includes('{envId}')) assert.equal(await answer(prodAdmin), 404, `${method} ${path} with a prod-only admin token`);
      checked++;
    }
  }
  assert.ok(checked >= 21, `${checked} operations checked`);
});
