// The delivery log: one line per attempt with the §7 fields, to stdout or to logging.deliveryFile
// (reopened on SIGHUP, as logrotate needs), with secrets redacted; and the per-subscription gauges
// while a destination is down.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { redactSecrets } from '../../src/observability/redact-secrets.js';
import { freePort } from '../helpers/free-port.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { BulkReceiver } from '../helpers/bulk-receiver.js';
import { HttpSink } from '../helpers/http-sink.js';
import { ingestToken, sample, scrape, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const events = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, recordedAt: '2026-11-23T10:15:00.250Z', action: { type: 'USER.CREATED' } }));


const fileLines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>) : []);

test('redactSecrets: basic-auth passwords, query-string tokens and credential headers', () => {
  const cases: [string, string][] = [
    ['https://user:hunter2@siem.example/x', 'https://user:[redacted]@siem.example/x'],
    ['https://log-api.newrelic.com/log/v1?Api-Key=NRAK-123&format=json', 'https://log-api.newrelic.com/log/v1?Api-Key=[redacted]&format=json'],
    ['https://h/p?access_token=abc.def&x=1', 'https://h/p?access_token=[redacted]&x=1'],
    ['https://h/p?license_key=abc', 'https://h/p?license_key=[redacted]'],
    ['request failed: Authorization: Splunk 6f1c-2a3b', 'request failed: Authorization: [redacted]'],
    ['{"api-key":"NRAK-123","x-license-key":"abc"}', '{"api-key":"[redacted]","x-license-key":"[redacted]"}'],
    ['connect ECONNREFUSED 127.0.0.1:9', 'connect ECONNREFUSED 127.0.0.1:9'],
    ['https://h/p?page=2', 'https://h/p?page=2'],
  ];
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected, input);
});

test('logging.deliveryFile: one line per attempt with the §7 fields, secrets redacted, nothing on stdout', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const logs = tempDir(t);
  const file = join(logs, 'nested', 'delivery.log');
  const { ingestUrl, lines } = await startGateway(t, {
    extra: `logging: { deliveryFile: ${file} }
subscriptions:
  - id: nr
    environment: prod
    httpEndpoint:
      url: "${sink.url}/log/v1?Api-Key=NRAK-query-secret-42&format=json"
      headers: { X-License-Key: "license-header-secret-42" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20 }
`,
  });
  await sendEvents(ingestUrl, events('e', 3));
  await until(() => fileLines(file).length === 1, 10_000);
  const [line] = fileLines(file);
  assert.deepEqual(
    { ...line, time: undefined, durationMs: undefined, pid: undefined, hostname: undefined },
    {
      level: 30,
      service: 'siem-gateway',
      msg: 'delivery',
      subscription: 'nr',
      environment: 'prod',
      // Every query value not written as a reference is masked: a literal credential could be any of them.
      destination: `${sink.url}/log/v1?Api-Key=[redacted]&format=[redacted]`,
      batch: 'nr:1-3',
      firstEventId: 'e0',
      lastEventId: 'e2',
      events: 3,
      bytes: sink.requests[0]!.body.length,
      attempt: 1,
      status: 200,
      outcome: 'delivered',
      time: undefined,
      durationMs: undefined,
      pid: undefined,
      hostname: undefined,
    },
  );
  assert.equal(typeof line!.durationMs, 'number');
  assert.doesNotMatch(readFileSync(file, 'utf8'), /secret-42/);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the delivery log is this user\'s only');
  assert.equal(lines.filter((l) => l.msg === 'delivery').length, 0, 'the delivery log goes to the file instead of stdout');
});

test('a destination that is down: failed attempts are logged with the error, and the gauges show it failing', async (t) => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const { ingestUrl, adminUrl, lines } = await startGateway(t, {
    extra: `subscriptions:
  - id: down
    environment: prod
    httpEndpoint: { url: "${url}/hec" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20 }
`,
  });
  await sendEvents(ingestUrl, events('d', 2));
  await until(() => lines.filter((l) => l.msg === 'delivery').length >= 2, 10_000);
  const failed = lines.filter((l) => l.msg === 'delivery');
  assert.deepEqual(failed.map((l) => l.attempt).slice(0, 2), [1, 2]);
  for (const l of failed) {
    assert.equal(l.outcome, 'failed');
    assert.equal(l.status, undefined);
    assert.match(String(l.error), /ECONNREFUSED|connect/);
    assert.equal(l.events, 2);
  }
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const metrics = await scrape(adminUrl);
  const labels = 'environment="prod",subscription="down"';
  assert.equal(sample(metrics, `siem_gateway_delivery_retrying{${labels}}`), 1);
  assert.equal(sample(metrics, `siem_gateway_backlog_events{${labels}}`), 2);
  assert.ok(sample(metrics, `siem_gateway_oldest_event_age_seconds{${labels}}`) >= 1);
  assert.ok(sample(metrics, `siem_gateway_delivery_attempts_total{${labels},outcome="failed",status_class="none"}`) >= 2);
  assert.equal(sample(metrics, `siem_gateway_events_delivered_total{${labels}}`), 0);
});

test('SIGHUP reopens logging.deliveryFile: after logrotate moves it, new lines go to a new file at the same path', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const dir = tempDir(t);
  const file = join(dir, 'delivery.log');
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, `server: { ingest: { listen: "127.0.0.1:0" }, admin: { listen: "127.0.0.1:0" } }
storage: { dir: ${join(dir, 'data')} }
environments: [ { id: prod } ]
auth: { tokens: [ { name: c, token: "${ingestToken}", scopes: [ingest] } ] }
logging: { deliveryFile: ${file} }
subscriptions:
  - id: s
    environment: prod
    httpEndpoint: { url: "${sink.url}/hec" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20 }
`);
  const gateway = GatewayProcess.start(config);
  t.after(() => gateway.kill());
  const { ingest: address } = await gateway.listening();
  await sendEvents(`http://${address}`, events('before', 1));
  await until(() => fileLines(file).length === 1, 10_000);
  renameSync(file, `${file}.1`);
  gateway.kill('SIGHUP');
  await gateway.waitFor((line) => line.msg === 'configuration reloaded');
  await sendEvents(`http://${address}`, events('after', 1));
  await until(() => fileLines(file).length === 1, 10_000);
  assert.deepEqual(fileLines(`${file}.1`).map((line) => line.firstEventId), ['before0']);
  assert.deepEqual(fileLines(file).map((line) => line.firstEventId), ['after0']);
  gateway.kill('SIGTERM');
  assert.equal((await gateway.exited).code, 0);
});

test('an answer read event by event: a partial attempt logs how many events were delivered, retried and rejected, not the answer\'s text', async (t) => {
  const receiver = new BulkReceiver((id, attempt) => (id === 'p1' && attempt === 1 ? 'throttled' : id === 'p2' ? 'mapping-error' : 'indexed'));
  const sink = await HttpSink.start({ handler: receiver.handler });
  t.after(() => sink.close());
  const { ingestUrl, lines } = await startGateway(t, {
    extra: `subscriptions:
  - id: es
    environment: prod
    format: ELASTICSEARCH
    httpEndpoint: { url: "${sink.url}/_bulk" }
    elasticsearch: { index: idp }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20 }
`,
  });
  await sendEvents(ingestUrl, events('p', 4));
  await until(() => lines.filter((l) => l.msg === 'delivery').length === 2, 10_000);
  const [first, second] = lines.filter((l) => l.msg === 'delivery');
  assert.deepEqual([first!.outcome, first!.status, first!.events, first!.items], ['partial', 200, 4, { delivered: 2, retried: 1, rejected: 1 }]);
  assert.equal(first!.response, undefined, 'Elasticsearch quotes field values in item errors: the answer is not logged');
  assert.deepEqual([second!.outcome, second!.events, second!.firstEventId, second!.items, second!.response], ['delivered', 1, 'p1', { delivered: 1, retried: 0, rejected: 0 }, undefined]);
});
