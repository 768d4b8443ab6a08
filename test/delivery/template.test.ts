// Format TEMPLATE end to end: a PingAM logout received by the am-webhook source, a PingOne
// fixture event and a hostile event, each delivered as its own request with the body, URL and
// headers filled from the event. Injection attempts in JSON, form, URL and header values must
// not change the structure; a variable with no value stays literally ${name}.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import { HttpSink } from '../helpers/http-sink.js';
import { opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/idp/${name}`, import.meta.url), 'utf8');
const hostileName = 'x", "admin": true, "y": "\n&role=admin\r\nX-Injected: 1';
const hostileId = '../admin?x=1#frag';

test('TEMPLATE fills body, URL and headers per event, escaped for where each value lands', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const { ingestUrl, adminUrl, lines } = await startGateway(t, {
    extra: `sources:
  - { id: am, type: am-webhook, environment: prod, token: "am-shared-token-789" }
subscriptions:
  - id: logout-json
    environment: prod
    format: TEMPLATE
    httpEndpoint:
      url: "${sink.url}/logout/\${UserId}?event=\${WebhookEventType}"
      headers: { X-User: "\${actors.user.name}", X-Tracking: "ctx \${AMCtxId}" }
    template:
      contentType: application/json
      body: |
        {"user":"\${UserId}","name":"\${actors.user.name}","event":"\${WebhookEventType}","trackingId":"\${AMCtxId}","locale":"\${Locale}",
         "resource":"\${resources.0.id}","host":"\${Host}","action":\${action}}
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20 }
  - id: logout-form
    environment: prod
    format: TEMPLATE
    httpEndpoint: { url: "${sink.url}/form" }
    template:
      contentType: application/x-www-form-urlencoded
      body: "user=\${UserId}&event=\${WebhookEventType}&name=\${actors.user.name}&host=\${Host}"
    filterOptions: { includedActionTypes: ["*"], ipAddressExposed: true }
    signing: { type: hub, secret: "hub-shared-secret-for-form" }
    payloadOptions: { flushMs: 20 }
`,
  });

  // 1. A PingAM logout, as AM posts it (form body, the documented session properties).
  const am = await fetch(`${ingestUrl}/v1/sources/am`, {
    method: 'POST',
    headers: { authorization: 'Bearer am-shared-token-789', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'WebhookEventType=LOGOUT&UserId=bjensen&Principal=id%3Dbjensen%2Cou%3Duser%2Co%3Dalpha&AMCtxId=22e73c81-708e-4849-b064-db29b68ef943-105372&Locale=en_US&Host=192.0.2.1',
  });
  assert.equal(am.status, 202, await am.text());
  await until(() => sink.requests.length >= 2, 10_000);
  // 2. A hostile event through the events API, 3. a PingOne fixture with no session properties.
  await sendEvents(ingestUrl, [{ id: 'hostile-1', recordedAt: '2026-11-24T10:00:00Z', action: { type: 'SESSION.DELETED' }, actors: { user: { id: hostileId, name: hostileName } }, resources: [{ id: 'r-1', type: 'USER' }] }]);
  await until(() => sink.requests.length >= 4, 10_000);
  const pingone = JSON.parse(fixture('pingone-activity-user-access-allowed.elastic.json')) as Record<string, unknown>;
  await sendEvents(ingestUrl, [pingone]);
  await until(() => sink.requests.length >= 6, 10_000);

  const json = sink.requests.filter((request) => request.url.startsWith('/logout/'));
  const form = sink.requests.filter((request) => request.url === '/form');
  assert.equal(json.length, 3, 'one request per event');
  assert.equal(form.length, 3);

  // The AM logout: values from the canonical event and, for Locale, from the form AM sent.
  assert.equal(json[0]!.url, '/logout/bjensen?event=LOGOUT');
  assert.equal(json[0]!.headers['content-type'], 'application/json');
  assert.equal(json[0]!.headers['x-user'], 'id=bjensen,ou=user,o=alpha');
  assert.equal(json[0]!.headers['x-tracking'], 'ctx 22e73c81-708e-4849-b064-db29b68ef943-105372');
  assert.deepEqual(JSON.parse(json[0]!.body), { user: 'bjensen', name: 'id=bjensen,ou=user,o=alpha', event: 'LOGOUT', trackingId: '22e73c81-708e-4849-b064-db29b68ef943-105372', locale: 'en_US', resource: '${resources.0.id}', host: '${Host}', action: { type: 'SESSION.LOGOUT', description: 'LOGOUT' } });
  // The hostile event: every value stays a value.
  assert.equal(json[1]!.url, `/logout/${encodeURIComponent(hostileId)}?event=LOGOUT`);
  assert.equal(decodeURIComponent(String(json[1]!.headers['x-user'])), hostileName);
  assert.equal(json[1]!.headers['x-injected'], undefined);
  assert.deepEqual(JSON.parse(json[1]!.body), { user: hostileId, name: hostileName, event: 'LOGOUT', trackingId: '${AMCtxId}', locale: '${Locale}', resource: 'r-1', host: '${Host}', action: { type: 'SESSION.DELETED' } });
  // The PingOne event: no WebhookEventType for USER.ACCESS_ALLOWED, so the literal stays.
  assert.equal(json[2]!.url, `/logout/${(pingone.actors as { user: { id: string } }).user.id}?event=%24%7BWebhookEventType%7D`);

  // Form bodies: one field per placeholder; this subscription exposes the IP address; signed over the bytes sent.
  assert.deepEqual(Object.fromEntries(new URLSearchParams(form[0]!.body)), { user: 'bjensen', event: 'LOGOUT', name: 'id=bjensen,ou=user,o=alpha', host: '192.0.2.1' });
  assert.deepEqual([...new URLSearchParams(form[1]!.body)], [['user', hostileId], ['event', 'LOGOUT'], ['name', hostileName], ['host', '${Host}']]);
  for (const request of form) {
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request.headers['x-hub-signature'], `sha256=${createHmac('sha256', 'hub-shared-secret-for-form').update(Buffer.from(request.body)).digest('hex')}`);
  }

  // The management API takes TEMPLATE too, validated the same way, and shows the template back.
  const api = (method: string, path: string, body?: unknown) => fetch(`${adminUrl}/v1/environments/prod/subscriptions${path}`, { method, headers: { authorization: `Bearer ${opsToken}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const bad = await api('POST', '', { id: 'api-template', format: 'TEMPLATE', httpEndpoint: { url: `${sink.url}/api` }, template: { body: '{"user": ${UserId' }, filterOptions: { includedActionTypes: ['*'] } });
  assert.equal(bad.status, 400);
  const problems = ((await bad.json()) as { problems: { path: string; message: string }[] }).problems;
  assert.deepEqual(problems.map((problem) => problem.path), ['/template/body']);
  assert.match(problems[0]!.message, /unclosed \$\{ at character 10/);
  const created = await api('POST', '', { id: 'api-template', format: 'TEMPLATE', httpEndpoint: { url: `${sink.url}/api/\${UserId}` }, template: { body: '{"user":"${UserId}"}' }, filterOptions: { includedActionTypes: ['*'] }, payloadOptions: { flushMs: 20 } });
  assert.equal(created.status, 201, await created.text());
  assert.deepEqual(((await (await api('GET', '/api-template')).json()) as { template: unknown }).template, { body: '{"user":"${UserId}"}' }, 'shown as written');
  await sendEvents(ingestUrl, [{ id: 'via-api', recordedAt: '2026-11-24T10:00:00Z', action: { type: 'USER.UPDATED' }, actors: { user: { id: 'u-9' } } }]);
  await until(() => sink.requests.some((request) => request.url === '/api/u-9'), 10_000);
  assert.equal(sink.requests.find((request) => request.url === '/api/u-9')!.body, '{"user":"u-9"}');
  assert.ok(!lines.some((line) => JSON.stringify(line).includes('hub-shared-secret-for-form')), 'the signing secret is never logged');
  assert.ok(!lines.some((line) => JSON.stringify(line).includes('X-Injected')), 'no event data in the logs');
});

test('templates are checked at load, each problem naming its field', () => {
  const config = (subscription: string) => `environments: [ { id: prod } ]
subscriptions:
  - id: s
    environment: prod
    filterOptions: { includedActionTypes: ["*"] }
${subscription}`;
  const problems = (subscription: string) => {
    try {
      parseConfigText(config(subscription), 'g.yaml');
      return [];
    } catch (error) {
      return (error as { problems: string[] }).problems;
    }
  };
  const templated = (body: string, extra = '', url = 'https://receiver.example/hook') => `    format: TEMPLATE
    httpEndpoint: { url: "${url}" ${extra} }
    template:
      body: '${body}'
`;
  assert.deepEqual(problems(templated('{"user":"${UserId}","event":${WebhookEventType}}')), [], 'a placeholder outside a string is a JSON value');
  assert.match(problems(templated('user=${UserId'))[0]!, /g\.yaml:\d+ subscriptions\[0\]\.template\.body: has an unclosed \$\{ at character 6/);
  assert.match(problems(templated('{"user":"${UserId}",}'))[0]!, /template\.body: is not valid JSON once its placeholders are filled \(line 1, column 21 of the body\)/);
  assert.match(problems(templated('{}', '', 'https://${Host}/x'))[0]!, /httpEndpoint\.url: may hold \$\{…\} placeholders only in its path and query/);
  assert.match(problems(templated('{}', '', 'https://receiver.example/a b/${UserId}'))[0]!, /httpEndpoint\.url: must be written URL-encoded around its placeholders/);
  assert.match(problems(templated('{}', ', headers: { Content-Type: "text/plain" }'))[0]!, /headers\.Content-Type: is set by template\.contentType/);
  assert.match(problems(templated('{}', ', headers: { X-User: "${UserId" }'))[0]!, /headers\.X-User: has an unclosed \$\{/);
  assert.match(problems('    format: TEMPLATE\n    httpEndpoint: { url: "https://receiver.example/x" }\n')[0]!, /template: is required for format TEMPLATE/);
  assert.match(problems('    httpEndpoint: { url: "https://receiver.example/${UserId}" }\n')[0]!, /httpEndpoint\.url: unknown reference "\$\{UserId\}"/, 'only format TEMPLATE fills placeholders');
  assert.match(problems('    httpEndpoint: { url: "https://receiver.example/x" }\n    template: { body: "x" }\n')[0]!, /template: is only used with format TEMPLATE/);
  assert.match(problems('    format: TEMPLATE\n    protocol: TCP_IP\n    connectionDetails: { url: "tls://c.example:6514" }\n    template: { body: "{}" }\n')[0]!, /format: TEMPLATE needs protocol HTTPS/);
  // ${env:…} references still resolve inside templates; an unknown one elsewhere is still an error.
  assert.deepEqual(problems(templated('{"k":"${env:HOME}","u":"${UserId}"}')), []);
  assert.match(problems(templated('{}', ', headers: { A: "${vault:secret/x}" }'))[0]!, /headers\.A: unknown reference "\$\{vault:secret\/x\}"/, 'a reference of an unknown kind is still an error in a template');
});
