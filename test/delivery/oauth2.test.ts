// OAuth2 client credentials on HTTPS destinations, against a token endpoint and a protected
// destination that follow RFC 6749 and RFC 6750 (test/helpers/oauth2-server.ts): one token for many
// requests, fetched again before it expires and once after a 401, a refusing endpoint retried
// with nothing lost, and the secret and tokens never in a log line or an API answer.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import { batchOf } from '../../src/contracts/journal.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { transportFactory } from '../../src/pipeline/transport-factory.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { OAuth2Server } from '../helpers/oauth2-server.js';
import { pipelineFixture } from '../helpers/pipeline-fixture.js';

const client = { id: 'siem-gateway-app', secret: 'client secret with spaces+plus/슬래시' };
const event = (id: string): ActivityEvent => ({ id, recordedAt: '2026-12-07T10:15:00.000Z', action: { type: 'USER.CREATED' } });
const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

async function deliveringWithOAuth2(t: TestContext, server: OAuth2Server, oauth2 = '') {
  const text = `environments: [ { id: prod } ]
subscriptions:
  - id: sub
    environment: prod
    startAt: earliest
    httpEndpoint: { url: "${server.destination.url}/dataCollectionRules/dcr-1/streams/Custom-PingOne?api-version=2023-01-01" }
    oauth2: { tokenUrl: "${server.tokenUrl}", clientId: ${client.id}, clientSecret: "\${env:CLIENT_SECRET}", scope: "https://monitor.azure.com//.default"${oauth2} }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 2 }, payloadFormat: { https: { format: ND_JSON } } }
`;
  const { config } = parseConfigText(text, 'test.yaml', { env: { CLIENT_SECRET: client.secret } });
  const subscription = config.subscriptions[0]!;
  const transport = transportFactory(config, captureLogger().logger).create(subscription);
  t.after(() => transport.close());
  return pipelineFixture(t, subscription, { transport });
}

test('one token serves many requests: fetched with the client credentials grant, sent as a bearer token', async (t) => {
  const server = await OAuth2Server.start(client);
  t.after(() => server.close());
  const { journal, pipeline } = await deliveringWithOAuth2(t, server);
  await pipeline.start();
  for (let batch = 0; batch < 5; batch++) await journal.append('prod', batchOf(ids(`b${batch}-`, 2).map((id) => event(id))));
  await until(() => journal.stats().cursors.sub === 10);
  assert.deepEqual(server.tokenRequests, [{ grantType: 'client_credentials', scope: 'https://monitor.azure.com//.default', client: { ...client, via: 'basic' } }]);
  assert.equal(server.delivered.length, 5);
  assert.ok(server.delivered.every((request) => request.token === 'tok-1'));
  assert.equal(server.refusals, 0);
  assert.equal(server.destination.requests[0]!.url, '/dataCollectionRules/dcr-1/streams/Custom-PingOne?api-version=2023-01-01');
});

test('clientAuthentication: body sends the id and secret as form fields, with no Authorization header', async (t) => {
  const server = await OAuth2Server.start(client);
  t.after(() => server.close());
  const { journal, pipeline } = await deliveringWithOAuth2(t, server, ', clientAuthentication: body');
  await pipeline.start();
  await journal.append('prod', batchOf([event('f1')]));
  await until(() => journal.stats().cursors.sub === 1);
  assert.deepEqual(server.tokenRequests.map((request) => request.client), [{ ...client, via: 'body' }]);
  assert.equal(server.tokenEndpoint.requests[0]!.headers.authorization, undefined);
});

test('a token that expires mid-stream is replaced before it runs out: the destination never sees an expired one', async (t) => {
  const server = await OAuth2Server.start(client, 1);
  t.after(() => server.close());
  const { journal, pipeline } = await deliveringWithOAuth2(t, server);
  await pipeline.start();
  await journal.append('prod', batchOf(ids('x', 2).map((id) => event(id))));
  await until(() => journal.stats().cursors.sub === 2);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await journal.append('prod', batchOf(ids('y', 2).map((id) => event(id))));
  await until(() => journal.stats().cursors.sub === 4);
  assert.deepEqual(server.delivered.map((request) => request.token), ['tok-1', 'tok-2']);
  assert.equal(server.refusals, 0);
  assert.deepEqual(server.deliveredIds(), ['x0', 'x1', 'y0', 'y1']);
});

test('a token revoked early: the 401 brings one new token and the same request again; every event once', async (t) => {
  const server = await OAuth2Server.start(client);
  t.after(() => server.close());
  const { journal, pipeline, metrics } = await deliveringWithOAuth2(t, server);
  await pipeline.start();
  await journal.append('prod', batchOf(ids('r', 2).map((id) => event(id))));
  await until(() => journal.stats().cursors.sub === 2);
  server.revoke('tok-1');
  await journal.append('prod', batchOf(ids('s', 2).map((id) => event(id))));
  await until(() => journal.stats().cursors.sub === 4);
  assert.equal(server.refusals, 1);
  assert.equal(server.tokenRequests.length, 2);
  assert.deepEqual(server.delivered.map((request) => request.token), ['tok-1', 'tok-2']);
  assert.deepEqual(server.deliveredIds(), ['r0', 'r1', 's0', 's1']);
  assert.match(await metrics.registry.getSingleMetricAsString('siem_gateway_delivery_attempts_total'), /outcome="delivered",status_class="2xx"\} 2$/m);
});

test('a token endpoint that refuses the client: attempts fail naming its error, events wait, and flow once it takes the client again', async (t) => {
  const server = await OAuth2Server.start(client);
  t.after(() => server.close());
  server.refuseClients = true;
  const { journal, pipeline, metrics, lines } = await deliveringWithOAuth2(t, server);
  await pipeline.start();
  await journal.append('prod', batchOf(ids('w', 2).map((id) => event(id))));
  // Attempts are one after another: when the fourth asks for a token, three have failed.
  await until(() => server.tokenRequests.length >= 4);
  assert.equal(server.destination.requests.length, 0, 'nothing is sent without a token');
  const failing = lines.find((line) => /the destination is failing/.test(String(line.msg)));
  assert.match(String(failing?.msg), /OAuth2 token request to http:\/\/127\.0\.0\.1:\d+ answered 401 invalid_client \(Client authentication failed\.\)/);
  const failed = /outcome="failed",status_class="none"\} (\d+)/.exec(await metrics.registry.getSingleMetricAsString('siem_gateway_delivery_attempts_total'));
  assert.ok(Number(failed?.[1]) >= 3, 'each attempt without a token failed');
  server.refuseClients = false;
  await until(() => journal.stats().cursors.sub === 2, 10_000);
  assert.deepEqual(server.deliveredIds(), ['w0', 'w1']);
  const logged = JSON.stringify(lines);
  assert.ok(!logged.includes(client.secret) && !logged.includes('tok-1'), 'neither the secret nor a token is ever logged');
});

test('through the API: clientSecret is write-only, kept by a PUT that leaves it out, and never sent to a new token URL; the token request cannot reach the gateway itself', async (t) => {
  const server = await OAuth2Server.start(client);
  t.after(() => server.close());
  const { adminUrl, ingestUrl, lines } = await startGateway(t);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${adminUrl}/v1/environments/prod/subscriptions${path}`, { method, headers: { authorization: `Bearer ${opsToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & { problems?: { path: string; message: string }[] } };
  };
  const subscription = (tokenUrl: string, secret?: string) => ({
    id: 'sentinel',
    httpEndpoint: { url: `${server.destination.url}/dataCollectionRules/dcr-1/streams/Custom-PingOne?api-version=2023-01-01` },
    oauth2: { tokenUrl, clientId: client.id, ...(secret === undefined ? {} : { clientSecret: secret }), scope: 'https://monitor.azure.com//.default' },
    filterOptions: { includedActionTypes: ['*'] },
    payloadOptions: { flushMs: 0, payloadFormat: { https: { format: 'ND_JSON' } } },
  });
  const created = await call('POST', '', subscription(server.tokenUrl, client.secret));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.oauth2, { tokenUrl: server.tokenUrl, clientId: client.id, scope: 'https://monitor.azure.com//.default' });
  assert.doesNotMatch(JSON.stringify((await call('GET', '/sentinel')).body), /client secret/);
  await sendEvents(ingestUrl, [event('api-1')]);
  await until(() => server.deliveredIds().includes('api-1'));

  const kept = await call('PUT', '/sentinel', { ...subscription(server.tokenUrl), name: 'Sentinel' });
  assert.equal(kept.status, 200, JSON.stringify(kept.body));
  await sendEvents(ingestUrl, [event('api-2')]);
  await until(() => server.deliveredIds().includes('api-2'));
  assert.ok(server.tokenRequests.every((request) => request.client?.secret === client.secret), 'the kept secret still authenticates');

  const moved = await call('PUT', '/sentinel', subscription(`http://localhost:${server.tokenEndpoint.port}/oauth2/v2.0/token`));
  assert.equal(moved.status, 400);
  assert.deepEqual(moved.body.problems?.map((problem) => problem.path), ['/oauth2/clientSecret']);
  assert.match(moved.body.problems[0]!.message, /token URL's scheme, host or port changed/);

  // A name that leads to the gateway's own admin listener: the token request is refused at connect.
  const self = await call('PUT', '/sentinel', subscription(`http://localhost:${new URL(adminUrl).port}/v1/environments/prod/subscriptions`, 'another-secret'));
  assert.equal(self.status, 200, JSON.stringify(self.body));
  await sendEvents(ingestUrl, [event('api-3')]);
  await until(() => lines.some((line) => line.msg === 'delivery' && /OAuth2 token request to http:\/\/localhost:\d+ failed: destination_refused/.test(String(line.error))), 10_000);
  assert.ok(!server.deliveredIds().includes('api-3'));
  assert.ok(!JSON.stringify(lines).includes('another-secret'));
});
