// Item 2 of tenant isolation: network.destinations, applied at every connect after DNS resolution,
// for deliveries, test-sends and replays alike; the gateway's own listeners are always refused.
// SSRF attempts of an environment admin against the admin listener through every loopback alias,
// and through `localhost` (a name: checked when it is resolved, at connect).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpSink } from '../helpers/http-sink.js';
import { sample } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { canonicalAddress, DestinationPolicy } from '../../src/network/destination-policy.js';
import { event, prodAdmin, rootToken, startTenantGateway, subscriptionTo } from './tenant-gateway.js';

const base = '/v1/environments/prod/subscriptions';

test('a literal address of the gateway itself is refused at create, in every spelling, for HTTPS and TCP', async (t) => {
  const gateway = await startTenantGateway(t);
  const adminPort = new URL(gateway.adminUrl).port;
  const ingestPort = new URL(gateway.ingestUrl).port;
  const hosts = ['127.0.0.1', '127.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '0x7f000001', '2130706433', '0.0.0.0', '[::1]', '127.9.9.9'];
  for (const port of [adminPort, ingestPort]) {
    for (const host of hosts) {
      const https = await gateway.call('POST', base, subscriptionTo(`http://${host}:${port}/v1/environments/dev/subscriptions`));
      assert.equal(https.status, 400, `${host}:${port} ${https.text}`);
      assert.equal(https.body.problems![0]!.path, '/httpEndpoint/url');
      assert.match(https.body.problems![0]!.message, /own listeners/);
      const tcp = await gateway.call('POST', base, { protocol: 'TCP_IP', connectionDetails: { url: `tcp://${host}:${port}` }, filterOptions: { includedActionTypes: ['*'] } });
      assert.equal(tcp.status, 400, `tcp ${host}:${port} ${tcp.text}`);
      assert.equal(tcp.body.problems![0]!.path, '/connectionDetails/url');
    }
  }
});

test('through a name (localhost) the admin listener is refused at connect: the test-send cannot create a subscription', async (t) => {
  const gateway = await startTenantGateway(t);
  const adminPort = new URL(gateway.adminUrl).port;
  // A TEMPLATE webhook whose body is a subscription, sent with the attacker's own token: if it
  // reached the admin listener, it would create `ssrf-made` in prod.
  const created = await gateway.call('POST', base, {
    id: 'ssrf',
    format: 'TEMPLATE',
    template: { body: JSON.stringify(subscriptionTo('https://example.invalid/x', { id: 'ssrf-made' })), contentType: 'application/json' },
    httpEndpoint: { url: `http://localhost:${adminPort}/v1/environments/prod/subscriptions`, headers: { Authorization: `Bearer ${prodAdmin}` } },
    filterOptions: { includedActionTypes: ['*'] },
  });
  assert.equal(created.status, 201, created.text);
  const sent = await gateway.call('POST', `${base}/ssrf/test`);
  assert.equal(sent.status, 200, sent.text);
  assert.equal(sent.body.delivered, false);
  assert.match(String(sent.body.error), /^destination_refused: localhost \((127\.0\.0\.1|::1)\):\d+ is one of the gateway's own listeners$/);
  assert.equal(sent.body.status, undefined);
  // Live delivery: dead-lettered at once as destination_refused, counted, never retried.
  await gateway.postEvents('prod', [event('e-1')]);
  await until(async () => (await gateway.call('GET', `${base}/ssrf/dead-letters`)).body.total === 1, 10_000, 'the dead letter');
  const letters = await gateway.call('GET', `${base}/ssrf/dead-letters`);
  assert.match(JSON.stringify(letters.body.deadLetters), /destination refused: destination_refused: localhost/);
  const metrics = (await gateway.call('GET', '/metrics', undefined, rootToken)).text;
  assert.equal(sample(metrics, 'siem_gateway_events_dead_lettered_total{environment="prod",subscription="ssrf",reason="destination_refused"}'), 1);
  assert.ok(sample(metrics, 'siem_gateway_delivery_attempts_total{environment="prod",subscription="ssrf",outcome="destination_refused",status_class="none"}') >= 1);
  assert.equal((await gateway.call('GET', `${base}/ssrf/status`)).body.state, 'ok');
  // Nothing reached the admin API.
  assert.equal((await gateway.call('GET', `${base}/ssrf-made`)).status, 404);
});

test('denyLoopback refuses a loopback sink reached by name at connect (delivery, test-send, replay); allow lets one CIDR through', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const gateway = await startTenantGateway(t, { extra: 'network:\n  destinations: { denyLoopback: true, deny: ["*.internal.example"] }\n' });
  const literal = await gateway.call('POST', base, subscriptionTo(`${sink.url}/x`));
  assert.equal(literal.status, 400, literal.text);
  assert.match(literal.body.problems![0]!.message, /loopback address \(network\.destinations\.denyLoopback\)/);
  const denied = await gateway.call('POST', base, subscriptionTo('https://siem.internal.example/x'));
  assert.equal(denied.status, 201, 'a name is checked when it is resolved, not when it is written');

  const byName = sink.url.replace('127.0.0.1', 'localhost');
  assert.equal((await gateway.call('POST', base, subscriptionTo(`${byName}/x`, { id: 'by-name' }))).status, 201);
  const sent = await gateway.call('POST', `${base}/by-name/test`);
  assert.equal(sent.body.delivered, false);
  assert.match(String(sent.body.error), /^destination_refused: localhost \((127\.0\.0\.1|::1)\):\d+ is a loopback address/);
  await gateway.postEvents('prod', [event('e-1'), event('e-2')]);
  await until(async () => (await gateway.call('GET', `${base}/by-name/dead-letters`)).body.total === 2, 10_000, 'two dead letters');
  const replay = await gateway.call('POST', `${base}/by-name/replay`, { from: new Date(Date.now() - 60_000).toISOString(), to: new Date().toISOString() });
  assert.equal(replay.status, 202, replay.text);
  await until(async () => (await gateway.call('GET', `${base}/by-name/replays/${String(replay.body.id)}`)).body.state !== 'running', 10_000, 'the replay to end');
  assert.equal(sink.requests.length, 0, 'nothing reached the loopback sink');

  // The operator allows one address: allow wins over denyLoopback.
  const allowed = await startTenantGateway(t, { extra: 'network:\n  destinations: { denyLoopback: true, allow: ["127.0.0.1/32"] }\n' });
  assert.equal((await allowed.call('POST', base, subscriptionTo(`${sink.url}/ok`, { id: 'ok' }))).status, 201);
  assert.equal((await allowed.call('POST', `${base}/ok/test`)).body.delivered, true);
  assert.equal(sink.requests.length, 1);
});

test('the policy in order: own listener, deny, allow, a non-empty allow, loopback, private; addresses in one spelling', () => {
  assert.equal(canonicalAddress('::ffff:7f00:1'), '127.0.0.1');
  assert.equal(canonicalAddress('[::FFFF:127.0.0.1]'), '127.0.0.1');
  assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80::1');
  const own = [{ host: '127.0.0.1', port: 8081 }];
  const open = new DestinationPolicy({ allow: [], deny: [], denyPrivate: false, denyLoopback: false }, () => own);
  assert.match(open.refusal('x', '127.0.0.1', 8081)!, /own listeners/);
  assert.match(open.refusal('x', '::1', 8081)!, /own listeners/);
  assert.match(open.literalRefusal('0177.1', 8081)!, /own listeners/);
  assert.equal(open.refusal('x', '127.0.0.1', 8082), undefined);
  assert.equal(open.refusal('x', '10.1.2.3', 443), undefined);
  const strict = new DestinationPolicy({ allow: ['siem.example.com', '10.5.0.0/16'], deny: ['10.5.9.0/24'], denyPrivate: true, denyLoopback: true }, () => own);
  assert.equal(strict.refusal('siem.example.com', '10.0.0.7', 443), undefined, 'an allowed name wins over denyPrivate');
  assert.equal(strict.refusal('other', '10.5.1.1', 443), undefined);
  assert.match(strict.refusal('other', '10.5.9.1', 443)!, /deny/);
  assert.match(strict.refusal('other', '8.8.8.8', 443)!, /not in network\.destinations\.allow/);
  assert.match(strict.refusal('siem.example.com', '127.0.0.1', 8081)!, /own listeners/, 'nothing allows the gateway itself');
  const privateOnly = new DestinationPolicy({ allow: [], deny: [], denyPrivate: true, denyLoopback: false });
  for (const address of ['10.0.0.1', '172.16.5.5', '192.168.1.1', '169.254.169.254', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1']) assert.match(privateOnly.refusal('x', address, 443)!, /private/, address);
  assert.equal(privateOnly.refusal('x', '127.0.0.1', 443), undefined);
  assert.equal(privateOnly.refusal('x', '93.184.216.34', 443), undefined);
  const loopbackOnly = new DestinationPolicy({ allow: [], deny: [], denyPrivate: false, denyLoopback: true });
  for (const address of ['127.0.0.1', '127.255.0.1', '::1', '0.0.0.0', '::', '::ffff:127.0.0.1']) assert.match(loopbackOnly.refusal('x', address, 443)!, /loopback/, address);
});
