// From every IdP source type, through a subscription, to a real sink: a real gateway process
// receives a signed Keycloak event, a signed WSO2 event, an AM logout and a PingOne delivery, and
// the sink gets each once, normalised. A redelivery after SIGKILL and restart is stored once.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { HttpSink } from '../helpers/http-sink.js';
import { until } from '../helpers/manual-clock.js';
import { writeSinkGatewayConfig } from '../helpers/sink-gateway-config.js';
import { tempDir } from '../helpers/temp-dir.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/idp/', import.meta.url));
const fixture = (name: string) => readFileSync(join(fixtures, name));
const hmac = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');

test('every source type through a subscription to a sink, normalised; a redelivery after SIGKILL is stored once', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const received = () => sink.requests.flatMap((request) => request.body.trimEnd().split('\n').map((line) => JSON.parse(line) as { id: string; action: { type: string }; actors?: { user?: { name?: string } } }));
  const dir = tempDir(t);
  const file = writeSinkGatewayConfig(dir, `${sink.url}/`);
  writeFileSync(file, `${readFileSync(file, 'utf8')}sources:
  - { id: kc, type: keycloak, environment: prod, secret: "kc-secret" }
  - { id: wso2, type: asgardeo, environment: prod, secret: "wso2-secret" }
  - { id: am, type: am-webhook, environment: prod, token: "am-token" }
  - { id: p1, type: pingone, environment: prod, token: "p1-token" }
`);
  let gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  let { ingest } = await gateway.listening();
  const post = async (id: string, body: Buffer, headers: Record<string, string>) => {
    const response = await fetch(`http://${ingest}/v1/sources/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, body: (await response.json()) as { stored?: number } };
  };
  const keycloak = fixture('keycloak-user-event-login.phasetwo-docs.json');
  const wso2 = fixture('asgardeo-session-established.json');
  const am = Buffer.from(JSON.stringify({ WebhookEventType: 'MAX_TIMEOUT', AMCtxId: 'ctx-77', Principal: 'demo', UserId: 'id=demo' }));
  const pingone = Buffer.from(JSON.stringify([JSON.parse(fixture('pingone-activity-user-access-allowed.elastic.json').toString())]));
  assert.equal((await post('kc', keycloak, { 'x-keycloak-signature': hmac('kc-secret', keycloak) })).status, 202);
  assert.equal((await post('wso2', wso2, { 'x-hub-signature': `sha256=${hmac('wso2-secret', wso2)}` })).status, 202);
  assert.equal((await post('am', am, { authorization: 'Bearer am-token' })).status, 202);
  assert.equal((await post('p1', pingone, { authorization: 'Bearer p1-token' })).status, 202);
  await until(() => received().length >= 4, 10_000);
  const byType = Object.fromEntries(received().map((event) => [event.action.type, event]));
  assert.deepEqual(Object.keys(byType).sort(), ['KEYCLOAK.ACCESS.LOGIN', 'SESSION.CREATED', 'SESSION.MAX_TIMEOUT', 'USER.ACCESS_ALLOWED']);
  assert.equal(byType['KEYCLOAK.ACCESS.LOGIN']!.actors?.user?.name, 'johndoe');
  assert.equal(byType['SESSION.CREATED']!.actors?.user?.name, 'peter');
  assert.equal(byType['SESSION.MAX_TIMEOUT']!.id, 'ctx-77:MAX_TIMEOUT');

  // Keycloak retries with the same event after the gateway was killed: stored once.
  gateway.kill('SIGKILL');
  await gateway.exited;
  gateway = GatewayProcess.start(file);
  ({ ingest } = await gateway.listening());
  const again = await post('kc', keycloak, { 'x-keycloak-signature': hmac('kc-secret', keycloak) });
  assert.deepEqual([again.status, again.body.stored], [202, 0]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(received().filter((event) => event.action.type === 'KEYCLOAK.ACCESS.LOGIN').length, 1);
  gateway.kill('SIGTERM');
  assert.equal((await gateway.exited).code, 0);
});
