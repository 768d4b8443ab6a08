// The metrics, the dashboard and the alert rules checked with the real Prometheus tools (Debian's
// prometheus package, installed by .ci/run): promtool on a real scrape and on the rules, and a real
// Prometheus server scraping a gateway that carried traffic, answering every dashboard query.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createCa } from '../helpers/certificates.js';
import { freePort } from '../helpers/free-port.js';
import { BulkReceiver } from '../helpers/bulk-receiver.js';
import { HecAckReceiver } from '../helpers/hec-ack-receiver.js';
import { HttpSink } from '../helpers/http-sink.js';
import { opsToken, postEvents, sample, scrape, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const grafana = fileURLToPath(new URL('../../../grafana/', import.meta.url));
const dashboard = JSON.parse(readFileSync(join(grafana, 'dashboards/siem-gateway.json'), 'utf8')) as {
  templating: { list: { name: string; type: string }[] };
  panels: { id: number; title: string; datasource: { uid: string }; gridPos: { x: number; w: number }; targets: { expr: string; datasource: { uid: string } }[] }[];
};
const rules = readFileSync(join(grafana, 'alerts.yaml'), 'utf8');
/** Every alert in alerts.yaml: promtool and Prometheus must each find them all. */
const ruleCount = (rules.match(/^\s+- alert: /gm) ?? []).length;

const event = (id: string, type = 'USER.CREATED') => ({ id, recordedAt: '2026-11-23T10:15:00.250Z', action: { type }, source: { ipAddress: '203.0.113.9' } });


/**
 * A gateway that has carried every kind of traffic the dashboard shows: deliveries, a filtered
 * event, a refused event (split, then dead-lettered), a refused ingest request, and an mTLS
 * subscription with a client certificate.
 */
async function gatewayWithTraffic(t: TestContext) {
  const ca = createCa();
  const server = ca.issue({ commonName: 'siem.test', ips: ['127.0.0.1'] });
  const client = ca.issue({ commonName: 'gateway-client', client: true });
  const splunk = await HttpSink.start({ handler: (request) => (request.body.includes('"id":"poison"') ? { status: 400, body: '{"text":"Invalid data format","code":6}' } : { status: 200, body: '{"text":"Success","code":0}' }) });
  const mtls = await HttpSink.start({ tls: { cert: server.cert, key: server.key, ca: ca.cert, requestCert: true } });
  // HEC with indexer acknowledgement, and an Elasticsearch whose mapping refuses the poison event.
  const hec = new HecAckReceiver();
  hec.indexAtOnce = true;
  const acking = await HttpSink.start({ handler: hec.handler });
  const elastic = await HttpSink.start({ handler: new BulkReceiver((id) => (id === 'poison' ? 'mapping-error' : 'indexed')).handler });
  t.after(() => Promise.all([splunk.close(), mtls.close(), acking.close(), elastic.close()]));
  const files = tempDir(t);
  writeFileSync(join(files, 'ca.pem'), ca.cert);
  writeFileSync(join(files, 'c.pem'), client.cert);
  writeFileSync(join(files, 'k.pem'), client.key);
  const started = await startGateway(t, {
    extra: `keys: [ { id: client, environment: prod, certFile: ${join(files, 'c.pem')}, keyFile: ${join(files, 'k.pem')} } ]
certificates: [ { id: ca, environment: prod, file: ${join(files, 'ca.pem')} } ]
subscriptions:
  - id: splunk
    environment: prod
    format: SPLUNK
    httpEndpoint: { url: "${splunk.url}/services/collector/event" }
    filterOptions: { includedActionTypes: ["USER.*"] }
    payloadOptions: { flushMs: 50 }
  - id: mtls
    environment: prod
    httpEndpoint: { url: "${mtls.url}/events" }
    tlsClientAuthKeyPair: { id: client }
    trustedCertificates: [ { id: ca } ]
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 50 }
  - id: hec-ack
    environment: prod
    format: SPLUNK
    httpEndpoint: { url: "${acking.url}/services/collector/event" }
    splunk: { indexerAck: true }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 50 }
  - id: elastic
    environment: prod
    format: ELASTICSEARCH
    httpEndpoint: { url: "${elastic.url}/_bulk" }
    elasticsearch: { index: idp }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 50 }
`,
  });
  const send = async (round: number) => {
    assert.equal(await postEvents(started.ingestUrl, [event(`r${round}-a`), event(`r${round}-b`), event(`r${round}-f`, 'SESSION.CREATED')]), 202);
  };
  await send(0);
  assert.equal(await postEvents(started.ingestUrl, [event('poison')]), 202);
  assert.equal(await postEvents(started.ingestUrl, [{ id: 'no-recorded-at' }]), 400);
  await until(async () => sample(await scrape(started.adminUrl), 'siem_gateway_events_dead_lettered_total{environment="prod",subscription="splunk",reason="refused"}') === 1, 10_000);
  await until(async () => sample(await scrape(started.adminUrl), 'siem_gateway_events_dead_lettered_total{environment="prod",subscription="elastic",reason="item_refused"}') === 1, 10_000);
  await until(() => hec.indexed.includes('poison'), 10_000);
  await until(() => mtls.requests.length > 0 && splunk.eventIds().length === 2, 10_000);
  // Cursors are saved behind the deliveries: wait until both have caught up.
  await until(async () => (await scrape(started.adminUrl)).includes('siem_gateway_backlog_events{environment="prod",subscription="splunk"} 0'), 10_000);
  return { ...started, send, clientNotAfter: new Date(new X509Certificate(client.cert).validTo) };
}

/** Metric names a PromQL text uses (histogram series folded to their family). */
function metricNames(text: string): Set<string> {
  return new Set([...text.matchAll(/\bsiem_gateway_[a-z0-9_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, '')));
}

/** The family names a scrape exports. */
function exported(metrics: string): Set<string> {
  return new Set([...metrics.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name!));
}

test('promtool check metrics passes on a real scrape after traffic, and every §7 metric is there', async (t) => {
  const { adminUrl, clientNotAfter } = await gatewayWithTraffic(t);
  const metrics = await scrape(adminUrl);
  const checked = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
  assert.equal(checked.error, undefined, 'promtool must be installed (Debian package prometheus; .ci/run installs it)');
  assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
  assert.equal(`${checked.stdout}${checked.stderr}`.trim(), '');

  const labels = 'environment="prod",subscription="splunk"';
  assert.equal(sample(metrics, 'siem_gateway_events_received_total{environment="prod"}'), 4);
  assert.equal(sample(metrics, `siem_gateway_events_delivered_total{${labels}}`), 2);
  assert.equal(sample(metrics, `siem_gateway_events_filtered_total{${labels}}`), 1);
  assert.equal(sample(metrics, `siem_gateway_events_dead_lettered_total{${labels},reason="refused"}`), 1);
  assert.equal(sample(metrics, 'siem_gateway_ingest_rejected_total{reason="invalid_event"}'), 1);
  assert.ok(sample(metrics, `siem_gateway_delivery_attempts_total{${labels},outcome="delivered",status_class="2xx"}`) >= 1);
  assert.ok(sample(metrics, `siem_gateway_delivery_attempts_total{${labels},outcome="refused",status_class="4xx"}`) >= 1);
  assert.equal(sample(metrics, `siem_gateway_end_to_end_latency_seconds_count{${labels}}`), 2);
  assert.ok(sample(metrics, `siem_gateway_delivery_duration_seconds_count{${labels}}`) >= 2);
  assert.ok(sample(metrics, `siem_gateway_batch_events_count{${labels}}`) >= 1);
  assert.ok(sample(metrics, `siem_gateway_batch_bytes_sum{${labels}}`) > 0);
  assert.equal(sample(metrics, `siem_gateway_backlog_events{${labels}}`), 0);
  assert.equal(sample(metrics, `siem_gateway_oldest_event_age_seconds{${labels}}`), 0);
  assert.equal(sample(metrics, `siem_gateway_delivery_retrying{${labels}}`), 0);
  assert.equal(sample(metrics, 'siem_gateway_client_certificate_expiry_timestamp_seconds{environment="prod",subscription="mtls"}'), clientNotAfter.getTime() / 1000);
  assert.ok(sample(metrics, 'siem_gateway_journal_bytes') > 0);
  assert.ok(sample(metrics, 'siem_gateway_process_resident_memory_bytes') > 0);

  // Everything the dashboard and the rules query is exported.
  const names = exported(metrics);
  const used = new Set([...metricNames(JSON.stringify(dashboard)), ...metricNames(rules)]);
  assert.ok(used.size >= 14, `the dashboard and rules use ${used.size} metrics`);
  for (const name of used) assert.ok(names.has(name), `${name} is used by the dashboard or the rules but not exported`);
  // No label carries event data or a URL.
  assert.doesNotMatch(metrics, /r0-a|poison|127\.0\.0\.1/);
});

test('promtool: the alert rules are valid and their unit tests pass (every alert firing and not firing)', () => {
  const checked = spawnSync('promtool', ['check', 'rules', join(grafana, 'alerts.yaml')], { encoding: 'utf8' });
  assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
  assert.match(checked.stdout, new RegExp(`SUCCESS: ${ruleCount} rules found`));
  const tested = spawnSync('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: grafana, encoding: 'utf8' });
  assert.equal(tested.status, 0, `${tested.stdout}${tested.stderr}`);
  assert.match(tested.stdout, /SUCCESS/);
  // Each alert has a firing case in the tests, and a series that must not fire beside it.
  const tests = readFileSync(join(grafana, 'alerts.test.yaml'), 'utf8');
  for (const [, alert] of rules.matchAll(/- alert: (\S+)/g)) {
    assert.match(tests, new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`), `${alert} has a firing test`);
    assert.match(tests, new RegExp(`alertname: ${alert}, exp_alerts: \\[\\]`), `${alert} has a not-firing test`);
  }
});

test('the dashboard: datasource as a variable, unique panel ids, every target on it, laid out on the 24-column grid', () => {
  assert.ok(dashboard.templating.list.some((variable) => variable.name === 'datasource' && variable.type === 'datasource'));
  assert.equal(new Set(dashboard.panels.map((panel) => panel.id)).size, dashboard.panels.length);
  for (const panel of dashboard.panels) {
    assert.equal(panel.datasource.uid, '${datasource}', panel.title);
    assert.ok(panel.targets.length > 0, panel.title);
    for (const target of panel.targets) assert.equal(target.datasource.uid, '${datasource}', panel.title);
    assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, panel.title);
  }
  const titles = dashboard.panels.map((panel) => panel.title).join('\n');
  for (const wanted of [/Events in/, /Events out/, /filtered/, /dead-lettered/, /attempts by outcome and status class/, /Delivery latency/, /End-to-end latency/, /Backlog/, /Oldest undelivered event age/, /Journal use/, /Client certificate days left/, /Indexer acknowledgement latency/, /awaiting indexer acknowledgement/, /refused per item/]) assert.match(titles, wanted);
});

interface QueryAnswer {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

test('a real Prometheus scrapes the gateway (metrics scope token) and every dashboard query returns data; the rules load', async (t) => {
  const { adminUrl, send } = await gatewayWithTraffic(t);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ ${join(grafana, 'alerts.yaml')} ]
scrape_configs:
  - job_name: siem-gateway
    authorization: { credentials: ${opsToken} }
    static_configs: [ { targets: [ "${new URL(adminUrl).host}" ] } ]
`);
  const port = await freePort();
  const prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  prometheus.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  t.after(async () => {
    prometheus.kill('SIGTERM');
    if (prometheus.exitCode === null) await new Promise((resolve) => prometheus.once('exit', resolve));
  });
  const api = `http://127.0.0.1:${port}/api/v1`;
  const query = async (promql: string): Promise<QueryAnswer> => (await (await fetch(`${api}/query?query=${encodeURIComponent(promql)}`)).json()) as QueryAnswer;

  await until(async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.status === 200, 30_000).catch(() => assert.fail(`Prometheus did not start:\n${log}`));
  await until(async () => (await query('up{job="siem-gateway"} == 1').catch(() => undefined))?.data.result.length === 1, 30_000);
  // Traffic across several scrapes, so rates and quantiles have increases to work on.
  for (let round = 1; round <= 4; round++) {
    await send(round);
    await new Promise((resolve) => setTimeout(resolve, 1200));
  }

  const panelQueries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ title: panel.title, expr: target.expr.replaceAll('$__rate_interval', '1m').replaceAll('$environment', '.*').replaceAll('$subscription', '.*') })));
  assert.ok(panelQueries.length >= 15);
  for (const { title, expr } of panelQueries) {
    const answer = await query(expr);
    assert.equal(answer.status, 'success', `${title}: ${expr}`);
    assert.ok(answer.data.result.some((series) => Number.isFinite(Number(series.value[1]))), `${title}: no data for ${expr}`);
  }

  const loaded = (await (await fetch(`${api}/rules`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
  const loadedRules = loaded.data.groups.flatMap((group) => group.rules);
  assert.equal(loadedRules.length, ruleCount);
  for (const rule of loadedRules) assert.equal(rule.health, 'ok', rule.name);
});
