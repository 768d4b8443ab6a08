// The whole path with real parts: HTTP ingest → journal → pipeline → HTTPS sink; a destination
// that is down across a SIGKILL; and one that hangs without delaying another.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { createCa } from '../helpers/certificates.js';
import { freePort } from '../helpers/free-port.js';
import { HttpSink } from '../helpers/http-sink.js';
import { ingestToken, postEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const events = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, recordedAt: `2026-11-23T10:15:${String(i % 60).padStart(2, '0')}.250Z`, action: { type: 'USER.CREATED' }, source: { ipAddress: '203.0.113.9', userAgent: 'curl/8' } }));


test('end to end: ingest → journal → SPLUNK / ND_JSON → a real HTTPS sink, bodies and headers checked', async (t) => {
  const ca = createCa();
  const server = ca.issue({ commonName: 'splunk.test', ips: ['127.0.0.1'] });
  const sink = await HttpSink.start({ tls: { cert: server.cert, key: server.key } });
  t.after(() => sink.close());
  const keys = tempDir(t);
  writeFileSync(join(keys, 'ca.pem'), ca.cert);
  const { ingestUrl } = await startGateway(t, {
    extra: `certificates: [ { id: splunk-ca, environment: prod, file: ${join(keys, 'ca.pem')} } ]
subscriptions:
  - id: splunk
    environment: prod
    format: SPLUNK
    httpEndpoint:
      url: ${sink.url}/services/collector/event
      headers: { Authorization: "Splunk 6f1c2a3b-hec-token" }
    trustedCertificates: [ { id: splunk-ca } ]
    filterOptions: { includedActionTypes: ["USER.*"] }
    splunk: { index: audit, sourcetype: "pingone:activity", host: gw-test }
    delivery: { compression: gzip }
    payloadOptions: { flushMs: 100 }
`,
  });
  assert.equal(await postEvents(ingestUrl, events('a', 3)), 202);
  assert.equal(await postEvents(ingestUrl, events('b', 2)), 202);
  await until(() => sink.eventIds().length === 5);
  assert.deepEqual(sink.eventIds(), ['a0', 'a1', 'a2', 'b0', 'b1']);
  const request = sink.requests[0]!;
  assert.equal(request.headers.authorization, 'Splunk 6f1c2a3b-hec-token');
  assert.equal(request.headers['content-type'], 'application/x-ndjson');
  assert.equal(request.headers['content-encoding'], 'gzip');
  assert.match(String(request.headers['user-agent']), /^siem-gateway\/\d+\.\d+\.\d+$/);
  const first = JSON.parse(request.body.split('\n')[0]!) as Record<string, unknown>;
  assert.deepEqual(first, {
    time: Date.parse('2026-11-23T10:15:00.250Z') / 1000,
    host: 'gw-test',
    source: 'siem-gateway',
    sourcetype: 'pingone:activity',
    index: 'audit',
    event: { id: 'a0', recordedAt: '2026-11-23T10:15:00.250Z', action: { type: 'USER.CREATED' } },
  });
  assert.ok(request.body.endsWith('\n'));
});

test('destination down, gateway SIGKILLed and restarted, destination up: nothing is lost', async (t) => {
  const port = await freePort();

  const dir = tempDir(t);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
storage: { dir: data }
auth: { tokens: [ { name: load, token: "${ingestToken}", scopes: [ingest] } ] }
environments: [ { id: prod } ]
subscriptions:
  - id: later
    environment: prod
    format: SPLUNK
    httpEndpoint: { url: "http://127.0.0.1:${port}/services/collector/event" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 50, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 7 } }
`);
  const first = GatewayProcess.start(file);
  t.after(() => first.kill());
  const { ingest: ingestAddress } = await first.listening();
  for (let request = 0; request < 5; request++) assert.equal(await postEvents(`http://${ingestAddress}`, events(`k${request}-`, 6)), 202);
  await first.waitFor((line) => line.msg === 'delivery' && line.outcome === 'failed');
  first.kill('SIGKILL');
  await first.exited;

  const sink = await HttpSink.start({ port });
  t.after(() => sink.close());
  const second = GatewayProcess.start(file);
  t.after(() => second.kill());
  await second.listening();
  const expected = [0, 1, 2, 3, 4].flatMap((request) => events(`k${request}-`, 6).map((e) => e.id));
  await until(() => new Set(sink.eventIds()).size === expected.length, 15_000);
  // At least once, in order: the first arrival of each event follows the ingest order.
  assert.deepEqual([...new Set(sink.eventIds())], expected);
  second.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
});

test('a destination that hangs does not delay another subscription', async (t) => {
  const hanging = await HttpSink.start({ handler: () => 'hang' });
  t.after(() => hanging.close());
  const healthy = await HttpSink.start();
  t.after(() => healthy.close());
  const subscription = (id: string, url: string) => `  - { id: ${id}, environment: prod, format: SPLUNK, httpEndpoint: { url: "${url}/services/collector/event" }, filterOptions: { includedActionTypes: ["*"] }, payloadOptions: { flushMs: 20 }, delivery: { timeoutMs: 600000 } }\n`;
  const { ingestUrl } = await startGateway(t, { extra: `subscriptions:\n${subscription('stuck', hanging.url)}${subscription('fine', healthy.url)}` });
  for (let request = 0; request < 5; request++) {
    assert.equal(await postEvents(ingestUrl, events(`h${request}-`, 4)), 202);
    await until(() => healthy.eventIds().length === (request + 1) * 4);
  }
  assert.equal(healthy.eventIds().length, 20);
  assert.equal(hanging.requests.length, 1, 'the stuck subscription waits on its first batch');
});
