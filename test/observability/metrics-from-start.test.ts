// Metrics from the first second, scoped to the token: every per-subscription and per-reason series
// is exported at 0 before anything happens (so the first increment is an increase Prometheus can
// alert on) and leaves with its subscription; a metrics token limited to some environments sees
// only their series, and /readyz lists subscriptions only to an admin or metrics token.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { HttpSink } from '../helpers/http-sink.js';
import { sample } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const opsToken = 'ops-token-all-environments-01';
const prodOpsToken = 'ops-token-prod-environment-02';

function config(sinkUrl: string, withDev: boolean): string {
  const subscription = (id: string, environment: string) => `  - id: ${id}
    environment: ${environment}
    httpEndpoint: { url: "${sinkUrl}/${id}" }
    filterOptions: { includedActionTypes: ["*"] }
`;
  return `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
storage: { dir: data }
environments: [ { id: prod }, { id: dev } ]
auth:
  tokens:
    - { name: ops, token: "${opsToken}", scopes: [admin, metrics] }
    - { name: prod-ops, token: "${prodOpsToken}", scopes: [metrics], environments: [prod] }
subscriptions:
${subscription('s-prod', 'prod')}${withDev ? subscription('s-dev', 'dev') : ''}`;
}

test('series at 0 from the start and gone with their subscription; environment-scoped metrics tokens; /readyz details need a token', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const dir = tempDir(t);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, config(sink.url, true));
  const gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  const { admin } = await gateway.listening();
  const scrape = async (token: string) => {
    const response = await fetch(`http://${admin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    return response.text();
  };
  const readyz = async (token?: string) => {
    const response = await fetch(`http://${admin}/readyz`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as { status: string; subscriptions?: { id: string }[] } };
  };

  const all = await scrape(opsToken);
  for (const environment of ['prod', 'dev']) {
    const labels = `environment="${environment}",subscription="s-${environment}"`;
    for (const series of [
      `siem_gateway_events_dead_lettered_total{${labels},reason="refused"}`,
      `siem_gateway_events_dead_lettered_total{${labels},reason="expired"}`,
      `siem_gateway_events_dropped_total{${labels},reason="retention"}`,
      `siem_gateway_events_dropped_total{${labels},reason="corrupt"}`,
      `siem_gateway_events_delivered_total{${labels}}`,
      `siem_gateway_delivery_attempts_total{${labels},outcome="refused",status_class="4xx"}`,
      `siem_gateway_delivery_attempts_total{${labels},outcome="failed",status_class="none"}`,
      `siem_gateway_batch_events_count{${labels}}`,
    ]) {
      assert.ok(all.split('\n').some((line) => line === `${series} 0`), `${series} is exported at 0`);
    }
  }
  assert.ok(all.includes('siem_gateway_ingest_rejected_total{reason="malformed_json"} 0'));
  assert.ok(all.includes('siem_gateway_events_rejected_total{environment="dev",reason="invalid_event"} 0'));

  // A token limited to prod sees prod's series and those of no environment, never dev's.
  const prodOnly = await scrape(prodOpsToken);
  assert.ok(prodOnly.includes('subscription="s-prod"'));
  assert.ok(!prodOnly.includes('environment="dev"'), 'no dev series for a prod-only token');
  assert.ok(prodOnly.includes('siem_gateway_journal_bytes '), 'gateway-wide series stay');

  assert.deepEqual(await readyz(), { status: 200, body: { status: 'ready' } }, 'no subscription list without a token');
  assert.deepEqual((await readyz(prodOpsToken)).body.subscriptions?.map((s) => s.id), ['s-prod']);
  assert.deepEqual((await readyz(opsToken)).body.subscriptions?.map((s) => s.id), ['s-prod', 's-dev']);

  // Removing a subscription removes its series.
  writeFileSync(file, config(sink.url, false));
  gateway.kill('SIGHUP');
  await gateway.waitFor((line) => line.msg === 'configuration reloaded');
  await until(async () => !(await scrape(opsToken)).includes('subscription="s-dev"'), 5000);
  assert.equal(sample(await scrape(opsToken), 'siem_gateway_events_delivered_total{environment="prod",subscription="s-prod"}'), 0);
});
