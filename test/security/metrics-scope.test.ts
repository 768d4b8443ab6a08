// Item 8 of tenant isolation: a metrics token limited to some environments sees only their series
// (subscriptions, sources, dead letters) on /metrics and only their subscriptions on /readyz; a
// token without environment limits sees all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prodMetrics, rootToken, startTenantGateway } from './tenant-gateway.js';

test('a prod-only metrics token sees prod series only; the root token sees every environment', async (t) => {
  const gateway = await startTenantGateway(t, {
    sources: '  - { id: prod-keycloak, type: keycloak, environment: prod, secret: "prod-webhook-secret-0123" }\n',
    extra: `subscriptions:
  - { id: prod-sub, environment: prod, httpEndpoint: { url: "https://siem.example/prod" }, filterOptions: { includedActionTypes: ["*"] } }
  - { id: dev-sub, environment: dev, httpEndpoint: { url: "https://siem.example/dev" }, filterOptions: { includedActionTypes: ["*"] } }
`,
  });
  const scoped = await gateway.call('GET', '/metrics', undefined, prodMetrics);
  assert.equal(scoped.status, 200);
  const series = scoped.text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  assert.ok(series.some((line) => line.includes('subscription="prod-sub"')));
  assert.ok(series.some((line) => line.includes('source="prod-keycloak"')));
  assert.ok(series.some((line) => line.startsWith('siem_gateway_events_dead_lettered_total{environment="prod"')));
  for (const line of series) assert.doesNotMatch(line, /environment="dev"|dev-sub|dev-keycloak/, line);

  const all = await gateway.call('GET', '/metrics', undefined, rootToken);
  assert.match(all.text, /source="dev-keycloak"/);
  assert.match(all.text, /subscription="dev-sub"/);

  const ready = await gateway.call('GET', '/readyz', undefined, prodMetrics);
  assert.deepEqual((ready.body.subscriptions as { id: string }[]).map((subscription) => subscription.id), ['prod-sub']);
  const readyAll = await gateway.call('GET', '/readyz', undefined, rootToken);
  assert.deepEqual((readyAll.body.subscriptions as { id: string }[]).map((subscription) => subscription.id).sort(), ['dev-sub', 'prod-sub']);
});
