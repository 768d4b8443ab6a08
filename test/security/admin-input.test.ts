// Items 7 and 10 of tenant isolation, for the admin API: each 400 names what is actually wrong.
// Deep JSON (2,000 levels) is a 400, not a 500; a `__proto__` key is named; `?before=abc` names
// `before`; a time outside the years 1970-9999 names its field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTenantGateway, subscriptionTo } from './tenant-gateway.js';

const base = '/v1/environments/prod/subscriptions';

test('admin bodies and queries: each refusal names the field, nothing answers 500', async (t) => {
  const gateway = await startTenantGateway(t);
  const deep = `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`;
  for (const path of [base, '/v1/environments/prod/keys', `${base}/none/replay`]) {
    const answer = await gateway.call('POST', path, deep);
    assert.equal(answer.status, 400, `${path}: ${answer.text}`);
    assert.equal(answer.body.error, 'invalid_body');
    assert.match(answer.body.problems![0]!.path, /^(\/a){32}$/);
  }
  const proto = await gateway.call('POST', base, '{"httpEndpoint":{"url":"https://siem.example/x","__proto__":{"polluted":true}},"filterOptions":{"includedActionTypes":["*"]}}');
  assert.equal(proto.status, 400, proto.text);
  assert.deepEqual(proto.body.problems, [{ path: '/httpEndpoint/__proto__', message: 'the key "__proto__" is never accepted' }]);
  const constructorPrototype = await gateway.call('POST', base, '{"constructor":{"prototype":{"x":1}}}');
  assert.equal(constructorPrototype.body.problems![0]!.path, '/constructor/prototype');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);

  assert.equal((await gateway.call('POST', base, subscriptionTo('https://siem.example/x', { id: 's' }))).status, 201);
  const before = await gateway.call('GET', `${base}/s/dead-letters?before=abc`);
  assert.equal(before.status, 400);
  assert.deepEqual(before.body.problems!.map((problem) => problem.path), ['before']);
  const limit = await gateway.call('GET', `${base}/s/dead-letters?limit=0`);
  assert.deepEqual(limit.body.problems!.map((problem) => problem.path), ['limit']);

  for (const [from, to, field] of [['0001-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '/from'], ['2026-01-01T00:00:00Z', '9999-12-31T23:59:59-05:00', '/to'], ['1969-12-31T23:59:59Z', '2026-01-01T00:00:00Z', '/from']] as const) {
    const replay = await gateway.call('POST', `${base}/s/replay`, { from, to });
    assert.equal(replay.status, 400, replay.text);
    assert.deepEqual(replay.body.problems!.map((problem) => problem.path), [field]);
    assert.match(replay.body.problems![0]!.message, /1970 to 9999/);
  }
  const startAt = await gateway.call('POST', base, subscriptionTo('https://siem.example/x', { startAt: '0100-01-01T00:00:00Z' }));
  assert.equal(startAt.status, 400);
  assert.deepEqual(startAt.body.problems!.map((problem) => problem.path), ['/startAt']);
  assert.ok(!gateway.process.lines.some((line) => line.msg === 'admin request failed'), 'no request failed with a 500');
});
