// Format SET: Security Event Tokens (RFC 8417) pushed as RFC 8935 requests to a receiver that
// answers 202, or 400 {"err":"invalid_key"} for one event. Every token is verified by `jose` (an
// independent JOSE implementation) against the JWKS the gateway publishes on its ingest listener,
// RS256 and ES256 alike, and checked claim by claim.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { parseConfigText } from '../../src/config/load-config.js';
import { createCa } from '../helpers/certificates.js';
import { HttpSink } from '../helpers/http-sink.js';
import { opsToken, sample, scrape, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const caep = 'https://schemas.openid.net/secevent/caep/event-type/';
const ecPem = (curve = 'P-256') => generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

test('SET: signed tokens verify against the published JWKS, claim by claim; a 400 invalid_key dead-letters with its code', async (t) => {
  const dir = tempDir(t);
  const rsa = createCa().issue({ commonName: 'siem-gateway SET signer' });
  writeFileSync(join(dir, 'rsa.cert.pem'), rsa.cert);
  writeFileSync(join(dir, 'rsa.key.pem'), rsa.key);
  writeFileSync(join(dir, 'ec.key.pem'), ecPem());
  // An RFC 8935 receiver: 202 for every SET, except 400 invalid_key for the event `refuse-me`.
  const sink = await HttpSink.start({
    handler: (request) => (request.body.split('.')[1] !== undefined && Buffer.from(request.body.split('.')[1]!, 'base64url').toString().includes('"jti":"refuse-me"') ? { status: 400, body: '{"err":"invalid_key","description":"the key is revoked"}' } : { status: 202 }),
  });
  t.after(() => sink.close());
  const { ingestUrl, adminUrl, lines } = await startGateway(t, {
    extra: `keys:
  - { id: set-rsa, environment: prod, usage: SIGNING, certFile: "${join(dir, 'rsa.cert.pem')}", keyFile: "${join(dir, 'rsa.key.pem')}" }
  - { id: set-ec, environment: prod, usage: SIGNING, keyFile: "${join(dir, 'ec.key.pem')}" }
subscriptions:
  - id: caep-rs
    environment: prod
    format: SET
    httpEndpoint: { url: "${sink.url}/rs", headers: { Authorization: "Bearer receiver-token" } }
    set: { issuer: "https://gateway.example/prod", audience: "https://receiver.example", signingKey: { id: set-rsa } }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20 }
  - id: caep-es
    environment: prod
    format: SET
    httpEndpoint: { url: "${sink.url}/es" }
    set: { issuer: "https://gateway.example/prod", signingKey: { id: set-ec } }
    filterOptions: { includedActionTypes: ["SESSION.*"] }
    payloadOptions: { flushMs: 20 }
`,
  });
  const jwks = createRemoteJWKSet(new URL(`${ingestUrl}/v1/environments/prod/jwks.json`));
  const published = (await (await fetch(`${ingestUrl}/v1/environments/prod/jwks.json`)).json()) as { keys: { kid: string; alg: string; kty: string; use: string; d?: string }[] };
  assert.deepEqual(published.keys.map((key) => [key.kty, key.alg, key.use]).sort(), [['EC', 'ES256', 'sig'], ['RSA', 'RS256', 'sig']]);
  assert.ok(published.keys.every((key) => key.d === undefined), 'public keys only');
  assert.deepEqual(await (await fetch(`${ingestUrl}/v1/environments/dev/jwks.json`)).json(), { keys: [] });
  assert.equal((await fetch(`${ingestUrl}/v1/environments/nowhere/jwks.json`)).status, 404);

  const pingone = JSON.parse(readFileSync(new URL('../../../test/fixtures/idp/pingone-activity-application-updated.elastic.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const before = Math.floor(Date.now() / 1000);
  await sendEvents(ingestUrl, [
    { id: 'logout-1', recordedAt: '2026-11-24T10:00:00.250Z', correlationId: 'corr-7', action: { type: 'SESSION.DELETED', description: 'Session Deleted' }, actors: { user: { id: 'user-42', name: 'bjensen' } } },
    pingone,
    { id: 'refuse-me', recordedAt: '2026-11-24T10:00:01Z', action: { type: 'USER.UPDATED' } },
  ]);
  await until(() => sink.requests.filter((request) => request.url === '/rs').length >= 3 && sink.requests.some((request) => request.url === '/es'), 10_000);

  const verify = async (token: string, audience?: string) => {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: 'https://gateway.example/prod', typ: 'secevent+jwt', ...(audience === undefined ? {} : { audience }) });
    return { payload: payload as JWTPayload & { events: Record<string, Record<string, unknown>>; toe: number; txn?: string; sub_id?: unknown }, protectedHeader };
  };
  const rs = sink.requests.filter((request) => request.url === '/rs');
  assert.equal(rs.length, 3, 'one SET per request');
  for (const request of rs) {
    assert.equal(request.headers['content-type'], 'application/secevent+jwt');
    assert.equal(request.headers.accept, 'application/json');
    assert.equal(request.headers.authorization, 'Bearer receiver-token');
  }

  // A session end: CAEP session-revoked, RS256.
  const logout = await verify(rs[0]!.body, 'https://receiver.example');
  assert.equal(logout.protectedHeader.alg, 'RS256');
  assert.ok(published.keys.some((key) => key.kid === logout.protectedHeader.kid && key.alg === 'RS256'));
  assert.equal(logout.payload.jti, 'logout-1');
  assert.equal(logout.payload.aud, 'https://receiver.example');
  assert.ok(logout.payload.iat! >= before && logout.payload.iat! <= Math.floor(Date.now() / 1000), 'iat is in seconds, when it was issued');
  assert.equal(logout.payload.toe, Math.floor(Date.parse('2026-11-24T10:00:00.250Z') / 1000));
  assert.equal(logout.payload.txn, 'corr-7');
  assert.deepEqual(logout.payload.sub_id, { format: 'opaque', id: 'user-42' });
  assert.deepEqual(logout.payload.events, { [`${caep}session-revoked`]: { subject: { format: 'opaque', id: 'user-42' }, event_timestamp: logout.payload.toe, reason_admin: { en: 'Session Deleted' } } });

  // Any other action type: the gateway's own event type, the whole event as its value.
  const updated = await verify(rs[1]!.body, 'https://receiver.example');
  assert.equal(updated.payload.jti, pingone.id);
  assert.deepEqual(Object.keys(updated.payload.events), [`urn:siem-gateway:event-type:${(pingone.action as { type: string }).type}`]);
  assert.deepEqual(Object.values(updated.payload.events)[0], pingone);

  // ES256 with a key that has no certificate; no audience configured, so none in the token.
  const es = await verify(sink.requests.find((request) => request.url === '/es')!.body);
  assert.equal(es.protectedHeader.alg, 'ES256');
  assert.equal(es.payload.aud, undefined);
  assert.equal(es.payload.jti, 'logout-1');
  assert.equal(decodeProtectedHeader(rs[0]!.body).typ, 'secevent+jwt');

  // A tampered token does not verify.
  const [header, payload, signature] = rs[0]!.body.split('.');
  const forged = `${header}.${Buffer.from(Buffer.from(payload!, 'base64url').toString().replace('user-42', 'user-43')).toString('base64url')}.${signature}`;
  await assert.rejects(verify(forged, 'https://receiver.example'), /signature verification failed/);

  // 400 invalid_key: the event is dead-lettered with the receiver's code, and the rest goes on.
  const admin = (path: string, init: RequestInit = {}) => fetch(`${adminUrl}/v1/environments/prod${path}`, { ...init, headers: { authorization: `Bearer ${opsToken}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) } });
  await until(async () => sample(await scrape(adminUrl), 'siem_gateway_events_dead_lettered_total{environment="prod",subscription="caep-rs",reason="refused"}') === 1, 10_000);
  const letters = ((await (await admin('/subscriptions/caep-rs/dead-letters')).json()) as { deadLetters: { reason: string; status: number; event: { id: string } }[] }).deadLetters;
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.event.id, 'refuse-me');
  assert.equal(letters[0]!.status, 400);
  assert.equal(letters[0]!.reason, 'refused by the destination: invalid_key (the key is revoked)');
  assert.equal(sample(await scrape(adminUrl), 'siem_gateway_events_delivered_total{environment="prod",subscription="caep-rs"}'), 2, '202 is delivered');

  // A SIGNING key added through the API (EC, no certificate) is published and signs for an API subscription.
  const key = await admin('/keys', { method: 'POST', body: JSON.stringify({ id: 'api-signer', usage: 'SIGNING', privateKey: ecPem() }) });
  const keyBody = await key.text();
  assert.equal(key.status, 201, keyBody);
  assert.deepEqual((JSON.parse(keyBody) as Record<string, unknown>).usage, 'SIGNING');
  assert.equal(keyBody.includes('PRIVATE KEY'), false, 'the private key is never returned');
  const created = await admin('/subscriptions', { method: 'POST', body: JSON.stringify({ id: 'api-set', format: 'SET', httpEndpoint: { url: `${sink.url}/api` }, set: { issuer: 'https://gateway.example/api', signingKey: { id: 'api-signer' } }, filterOptions: { includedActionTypes: ['*'] }, payloadOptions: { flushMs: 20 } }) });
  assert.equal(created.status, 201, await created.text());
  const republished = (await (await fetch(`${ingestUrl}/v1/environments/prod/jwks.json`)).json()) as { keys: unknown[] };
  assert.equal(republished.keys.length, 3);
  await sendEvents(ingestUrl, [{ id: 'via-api', recordedAt: '2026-11-24T10:00:02Z', action: { type: 'USER.CREATED' } }]);
  await until(() => sink.requests.some((request) => request.url === '/api'), 10_000);
  const viaApi = await jwtVerify(sink.requests.find((request) => request.url === '/api')!.body, createRemoteJWKSet(new URL(`${ingestUrl}/v1/environments/prod/jwks.json`)), { issuer: 'https://gateway.example/api' });
  assert.equal(viaApi.payload.jti, 'via-api');
  assert.equal((await admin('/keys/api-signer', { method: 'DELETE' })).status, 409, 'a signing key in use cannot be deleted');
  assert.equal((await admin('/keys', { method: 'POST', body: JSON.stringify({ id: 'p384', usage: 'SIGNING', privateKey: ecPem('P-384') }) })).status, 400);
  assert.equal((await admin('/keys', { method: 'POST', body: JSON.stringify({ id: 'mtls-alone', usage: 'OUTBOUND_MTLS', privateKey: ecPem() }) })).status, 400, 'an mTLS key needs its certificate');
  assert.ok(!lines.some((line) => JSON.stringify(line).includes('PRIVATE KEY')), 'no private key in the logs');
});

test('SET settings and SIGNING keys are checked at load, each problem naming its field', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ec.key.pem'), ecPem());
  writeFileSync(join(dir, 'p384.key.pem'), ecPem('P-384'));
  writeFileSync(join(dir, 'rsa1024.key.pem'), generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const mtls = createCa().issue({ commonName: 'client', client: true });
  writeFileSync(join(dir, 'client.cert.pem'), mtls.cert);
  writeFileSync(join(dir, 'client.key.pem'), mtls.key);
  const config = (subscription: string, keys = '') => `environments: [ { id: prod }, { id: dev } ]
keys:
  - { id: signer, environment: prod, usage: SIGNING, keyFile: "${join(dir, 'ec.key.pem')}" }
  - { id: dev-signer, environment: dev, usage: SIGNING, keyFile: "${join(dir, 'ec.key.pem')}" }
  - { id: client, environment: prod, certFile: "${join(dir, 'client.cert.pem')}", keyFile: "${join(dir, 'client.key.pem')}" }
${keys}subscriptions:
  - id: s
    environment: prod
    filterOptions: { includedActionTypes: ["*"] }
${subscription}`;
  const problems = (subscription: string, keys?: string) => {
    try {
      parseConfigText(config(subscription, keys), join(dir, 'g.yaml'));
      return [];
    } catch (error) {
      return (error as { problems: string[] }).problems;
    }
  };
  const set = (key: string) => `    format: SET\n    httpEndpoint: { url: "https://receiver.example/events" }\n    set: { issuer: "https://gw.example", signingKey: { id: ${key} } }\n`;
  assert.deepEqual(problems(set('signer')), []);
  assert.match(problems(set('client'))[0]!, /set\.signingKey\.id: key "client" has usage OUTBOUND_MTLS; this needs a key with usage SIGNING/);
  assert.match(problems(set('dev-signer'))[0]!, /unknown key "dev-signer" in environment "prod"/);
  assert.match(problems(set('nope'))[0]!, /unknown key "nope"/);
  assert.match(problems('    format: SET\n    httpEndpoint: { url: "https://receiver.example/events" }\n')[0]!, /set: is required for format SET/);
  assert.match(problems('    httpEndpoint: { url: "https://r.example/x" }\n    tlsClientAuthKeyPair: { id: signer }\n')[0]!, /tlsClientAuthKeyPair\.id: key "signer" has usage SIGNING; this needs a key with usage OUTBOUND_MTLS/);
  assert.match(problems('    httpEndpoint: { url: "https://r.example/x" }\n    set: { issuer: "x", signingKey: { id: signer } }\n')[0]!, /set: is only used with format SET/);
  assert.match(problems(set('signer'), `  - { id: p384, environment: prod, usage: SIGNING, keyFile: "${join(dir, 'p384.key.pem')}" }\n`)[0]!, /key "p384": a SIGNING key must be RSA \(RS256\) or EC P-256 \(ES256\), not EC secp384r1/);
  assert.match(problems(set('signer'), `  - { id: small, environment: prod, usage: SIGNING, keyFile: "${join(dir, 'rsa1024.key.pem')}" }\n`)[0]!, /key "small": a SIGNING key that is RSA must have at least 2048 bits/);
  assert.match(problems(set('signer'), '  - { id: nofile, environment: prod, usage: SIGNING }\n')[0]!, /needs keyFile \(PEM, certFile optional\), or pkcs12File/);
});
