// Item 4 of tenant isolation: key pairs and certificates belong to an environment. Two environments
// may each have a `corp-ca`; a lookup never crosses environments and no error tells that an id
// exists in another one. Whatever managed.json holds, a restart comes up and names the bad object.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCa } from '../helpers/certificates.js';
import { HttpSink } from '../helpers/http-sink.js';
import { until } from '../helpers/manual-clock.js';
import { event, rootToken, startTenantGateway, subscriptionTo } from './tenant-gateway.js';

test('two environments each have a corp-ca; each subscription uses its own; a restart comes up with both', async (t) => {
  const prodCa = createCa('prod CA');
  const devCa = createCa('dev CA');
  const server = prodCa.issue({ commonName: '127.0.0.1', ips: ['127.0.0.1'] });
  const sink = await HttpSink.start({ tls: { cert: server.cert, key: server.key } });
  t.after(() => sink.close());
  const gateway = await startTenantGateway(t);
  // dev's first, so a lookup by id alone would find it.
  const dev = await gateway.call('POST', '/v1/environments/dev/certificates', { id: 'corp-ca', certificate: devCa.cert }, rootToken);
  assert.equal(dev.status, 201, dev.text);
  const prod = await gateway.call('POST', '/v1/environments/prod/certificates', { id: 'corp-ca', certificate: prodCa.cert });
  assert.equal(prod.status, 201, prod.text);
  assert.match(JSON.stringify((await gateway.call('GET', '/v1/environments/prod/certificates/corp-ca')).body), /prod CA/);
  assert.match(JSON.stringify((await gateway.call('GET', '/v1/environments/dev/certificates/corp-ca', undefined, rootToken)).body), /dev CA/);

  const created = await gateway.call('POST', '/v1/environments/prod/subscriptions', subscriptionTo(`${sink.url}/prod`, { id: 'tls', trustedCertificates: [{ id: 'corp-ca' }] }));
  assert.equal(created.status, 201, created.text);
  await gateway.postEvents('prod', [event('e-1')]);
  await until(() => sink.requests.length === 1, 10_000, 'delivery verified by prod\'s own corp-ca');

  // A key that exists only in dev is as unknown to prod as one that exists nowhere.
  await gateway.call('POST', '/v1/environments/dev/certificates', { id: 'other-only', certificate: devCa.cert }, rootToken);
  const devOnly = await gateway.call('POST', '/v1/environments/prod/subscriptions', subscriptionTo(`${sink.url}/x`, { id: 'probe', trustedCertificates: [{ id: 'other-only' }] }));
  const nowhere = await gateway.call('POST', '/v1/environments/prod/subscriptions', subscriptionTo(`${sink.url}/x`, { id: 'probe', trustedCertificates: [{ id: 'no-such-id' }] }));
  assert.equal(devOnly.status, 400);
  assert.equal(devOnly.text.replace('other-only', 'ID'), nowhere.text.replace('no-such-id', 'ID'));
  assert.doesNotMatch(devOnly.text, /"dev"|environment dev\b/);
  assert.equal((await gateway.call('GET', '/v1/environments/prod/certificates/other-only')).status, 404);

  // Subscription ids are the gateway's: one taken in dev answers as one taken in prod, never naming dev.
  assert.equal((await gateway.call('POST', '/v1/environments/dev/subscriptions', subscriptionTo('https://siem.example/d', { id: 'taken-in-dev' }), rootToken)).status, 201);
  const takenElsewhere = await gateway.call('POST', '/v1/environments/prod/subscriptions', subscriptionTo('https://siem.example/p', { id: 'taken-in-dev' }));
  const takenHere = await gateway.call('POST', '/v1/environments/prod/subscriptions', subscriptionTo('https://siem.example/p', { id: 'tls' }));
  assert.deepEqual([takenElsewhere.status, takenHere.status], [409, 409]);
  assert.equal(takenElsewhere.text.replace('taken-in-dev', 'ID'), takenHere.text.replace('tls', 'ID'));

  await gateway.restart();
  await gateway.postEvents('prod', [event('e-2')]);
  await until(() => sink.requests.length === 2, 10_000, 'delivery after the restart');
});

test('whatever managed.json holds, the gateway starts and names each bad object', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const good = { kind: 'subscription', environment: 'prod', id: 'good', version: 3, value: subscriptionTo(`${sink.url}/good`) };
  const managed = {
    objects: [
      good,
      { kind: 'certificate', environment: 'prod', id: 'broken-pem', version: 4, value: { certificate: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n' } },
      { kind: 'certificate', environment: 'gone', id: 'orphan', version: 5, value: { certificate: createCa().cert } },
      { kind: 'subscription', environment: 'prod', id: 'uses-broken', version: 6, value: subscriptionTo(`${sink.url}/x`, { trustedCertificates: [{ id: 'broken-pem' }] }) },
      { kind: 'subscription', environment: 'prod', id: 'bad-shape', version: 7, value: { format: 'NOPE' } },
      { kind: 'key', environment: 'prod', id: 'no-private-key', version: 8, value: { usage: 'SIGNING' } },
      'not an object',
    ],
  };
  const gateway = await startTenantGateway(t, { files: { 'data/managed/managed.json': JSON.stringify(managed) } });
  const errors = gateway.process.lines.filter((line) => line.level >= 50).map((line) => String(line.msg));
  for (const name of ['broken-pem', 'orphan', 'uses-broken', 'bad-shape', 'objects[5]', 'objects[6]']) assert.ok(errors.some((message) => message.includes(name)), `${name} is named: ${errors.join('\n')}`);
  await gateway.postEvents('prod', [event('e-1')]);
  await until(() => sink.requests.some((request) => request.url === '/good'), 10_000, 'the good subscription delivers');
  assert.equal((await gateway.call('GET', '/v1/environments/prod/certificates')).status, 200);
  // Versions go on from the highest stored: a new object's ETag is not one seen before.
  const created = await gateway.call('POST', '/v1/environments/prod/subscriptions', subscriptionTo(`${sink.url}/new`, { id: 'new' }));
  assert.equal(created.etag, '"9"');
});

test('a managed.json that does not parse is moved aside and named; the gateway starts', async (t) => {
  const gateway = await startTenantGateway(t, { files: { 'data/managed/managed.json': '{"objects": [ {"kind": "subscr' } });
  const line = await gateway.process.waitFor((entry) => /cannot be parsed/.test(String(entry.msg)));
  assert.match(String(line.msg), /managed\.json\.damaged-\d+/);
  assert.equal((await gateway.call('GET', '/v1/environments/prod/subscriptions')).status, 200);
});

test('ETags never repeat for an object deleted and created again', async (t) => {
  const gateway = await startTenantGateway(t);
  const base = '/v1/environments/prod/subscriptions';
  const first = await gateway.call('POST', base, subscriptionTo('https://siem.example/x', { id: 'again' }));
  assert.equal((await gateway.call('DELETE', `${base}/again`, undefined, undefined, { 'if-match': first.etag! })).status, 204);
  const second = await gateway.call('POST', base, subscriptionTo('https://siem.example/x', { id: 'again' }));
  assert.notEqual(second.etag, first.etag);
  // A stale If-Match from the first life is refused.
  assert.equal((await gateway.call('DELETE', `${base}/again`, undefined, undefined, { 'if-match': first.etag! })).status, 412);
  await gateway.restart();
  const third = await gateway.call('PUT', `${base}/again`, subscriptionTo('https://siem.example/y'), undefined, { 'if-match': second.etag! });
  assert.equal(third.status, 200, third.text);
  assert.ok(![first.etag, second.etag].includes(third.etag));
});
