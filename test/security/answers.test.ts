// Item 3 of tenant isolation: what a destination answers is no reflection channel. A test-send
// shows the status and a bounded, sanitised summary; the delivery log and dead letters keep a
// bounded answer passed through the secret redaction. The sink here answers like an internal
// service that echoes what it got, plus the root token and another environment's secret.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpSink } from '../helpers/http-sink.js';
import { until } from '../helpers/manual-clock.js';
import { devSecret, event, rootToken, startTenantGateway, subscriptionTo } from './tenant-gateway.js';

const base = '/v1/environments/prod/subscriptions';
const ownPassword = 'own-basic-password-9876';

test('test-send, delivery log and dead letters keep a bounded, masked answer, never the whole body', async (t) => {
  const sink = await HttpSink.start({
    handler: (request) => ({
      status: 400,
      body: `{"echo":${JSON.stringify(request.headers)},"root":"Bearer ${rootToken}","dev":"${devSecret}","x":"line1\r\n{\\"level\\":60,\\"msg\\":\\"forged\\"}\u0000"}${'A'.repeat(10_000)}`,
    }),
  });
  t.after(() => sink.close());
  const gateway = await startTenantGateway(t);
  const created = await gateway.call('POST', base, subscriptionTo(`${sink.url}/x`, { id: 'echo', basicAuth: { username: 'me', password: ownPassword } }));
  assert.equal(created.status, 201, created.text);

  const sent = await gateway.call('POST', `${base}/echo/test`);
  assert.equal(sent.body.status, 400);
  assert.equal(sent.body.delivered, false);
  const response = String(sent.body.response);
  assert.ok(response.length <= 257, `test-send shows at most 256 characters (got ${response.length})`);
  assert.ok(![...response].some((char) => char.charCodeAt(0) < 32), 'no control characters');
  for (const secret of [rootToken, devSecret, ownPassword, Buffer.from(`me:${ownPassword}`).toString('base64')]) assert.ok(!sent.text.includes(secret), `test-send answer holds ${secret}`);

  await gateway.postEvents('prod', [event('e-1')]);
  await until(async () => (await gateway.call('GET', `${base}/echo/dead-letters`)).body.total === 1, 10_000, 'the dead letter');
  const letters = await gateway.call('GET', `${base}/echo/dead-letters`);
  const letter = (letters.body.deadLetters as { response: string }[])[0]!;
  assert.ok(letter.response.length <= 513, `a dead letter keeps at most 512 characters (got ${letter.response.length})`);
  assert.match(letter.response, /\$\{env:ADMIN_TOKEN\}/, 'the root token shows as its reference');
  assert.match(letter.response, /\$\{file:dev-secret\.txt\}/);
  for (const secret of [rootToken, devSecret, ownPassword]) assert.ok(!letters.text.includes(secret), `dead letter holds ${secret}`);

  const logged = gateway.process.lines.filter((line) => line.msg === 'delivery' && line.subscription === 'echo');
  assert.ok(logged.length >= 1);
  for (const line of logged) {
    assert.ok(String(line.response).length <= 513);
    for (const secret of [rootToken, devSecret, ownPassword]) assert.ok(!JSON.stringify(line).includes(secret), `delivery log holds ${secret}`);
  }
  assert.ok(!gateway.process.lines.some((line) => line.msg === 'forged'), 'an answer cannot forge a log line');
});
