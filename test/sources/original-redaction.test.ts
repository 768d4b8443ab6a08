// The client's IP address leaves only with ipAddressExposed, also when an IdP put it in the body
// the gateway keeps as `_original`: Keycloak's authDetails.ipAddress, WSO2's initiatorIpAddress,
// PingAM's Host. Real published payloads, through real subscriptions to a real sink.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { HttpSink } from '../helpers/http-sink.js';
import { startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/idp/', import.meta.url));
const fixture = (name: string) => readFileSync(join(fixtures, name));
const hmac = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');

test("an IdP's copy of the client IP address (in _original) leaves only with ipAddressExposed, as source.ipAddress", async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const subscription = (id: string, exposed: boolean) => `  - id: ${id}
    environment: prod
    httpEndpoint: { url: "${sink.url}/${id}" }
    filterOptions: { includedActionTypes: ["*"], ipAddressExposed: ${exposed} }
    payloadOptions: { flushMs: 20, payloadFormat: { https: { format: ND_JSON } } }
`;
  const { ingestUrl } = await startGateway(t, {
    extra: `sources:
  - { id: kc, type: keycloak, environment: prod, secret: "kc-secret" }
  - { id: wso2, type: asgardeo, environment: prod, secret: "wso2-secret" }
  - { id: am, type: am-webhook, environment: prod, token: "am-token" }
subscriptions:
${subscription('hidden', false)}${subscription('exposed', true)}`,
  });
  const post = async (id: string, body: Buffer, headers: Record<string, string>) => {
    const response = await fetch(`${ingestUrl}/v1/sources/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    assert.equal(response.status, 202, await response.text());
  };
  const keycloak = fixture('keycloak-user-event-login.phasetwo-docs.json');
  const wso2 = fixture('asgardeo-user-created.json');
  await post('kc', keycloak, { 'x-keycloak-signature': hmac('kc-secret', keycloak) });
  await post('wso2', wso2, { 'x-hub-signature': `sha256=${hmac('wso2-secret', wso2)}` });
  await post('am', Buffer.from('WebhookEventType=LOGOUT&UserId=bjensen&AMCtxId=ctx-9&Host=192.0.2.1&HostName=192.0.2.1&Locale=en_US'), { authorization: 'Bearer am-token', 'content-type': 'application/x-www-form-urlencoded' });
  const events = (path: string) => sink.requests.filter((request) => request.url === path).flatMap((request) => request.body.trimEnd().split('\n').map((line) => JSON.parse(line) as { action: { type: string }; source?: { ipAddress?: string }; _original?: string }));
  await until(() => events('/hidden').length >= 3 && events('/exposed').length >= 3, 10_000);

  const addresses = ['78.195.109.209', '203.0.113.10', '192.0.2.1'];
  const hidden = sink.requests.filter((request) => request.url === '/hidden').map((request) => request.body).join('\n');
  for (const address of addresses) assert.ok(!hidden.includes(address), `${address} does not leave without ipAddressExposed`);
  // What else the IdPs sent is still there.
  assert.ok(events('/hidden').every((event) => typeof event._original === 'string' && event._original.length > 0));
  assert.ok(hidden.includes('en_US') && hidden.includes('johndoe'), 'the rest of the original bodies is kept');

  const exposed = Object.fromEntries(events('/exposed').map((event): [string, string | undefined] => [event.action.type.split('.')[0]!, event.source?.ipAddress]));
  assert.deepEqual(exposed, { KEYCLOAK: '78.195.109.209', USER: '203.0.113.10', SESSION: '192.0.2.1' });
});
