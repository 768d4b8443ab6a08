// Changes through the management API apply live while events flow: a real gateway process, a
// generator posting the whole time, a real sink counting per subscription. Create, update,
// disable, enable and delete one subscription; the file's subscription beside it loses and
// duplicates nothing; the changed one continues from its cursor, and on enable delivers what
// accumulated while disabled. API objects survive SIGKILL and restart.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { HttpSink, startIdSink } from '../helpers/http-sink.js';
import { ingestToken, opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { writeSinkGatewayConfig } from '../helpers/sink-gateway-config.js';
import { tempDir } from '../helpers/temp-dir.js';

test('create, update, disable, enable and delete under load: nothing lost or duplicated beside them; API objects survive SIGKILL', async (t) => {
  const { sink, ids } = await startIdSink();
  t.after(() => sink.close());
  const dir = tempDir(t);
  const file = writeSinkGatewayConfig(dir, `${sink.url}/steady`, { id: 'steady' });
  let gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  let addresses = await gateway.listening();
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://${addresses.admin}/v1/environments/prod/subscriptions${path}`, { method, headers: { authorization: `Bearer ${opsToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown> };
  };

  // The generator: 20 events every 20 ms, recording what was acknowledged and when.
  const acknowledged: { id: string; at: number }[] = [];
  let next = 0;
  let running = true;
  const generator = (async () => {
    while (running) {
      const batch = Array.from({ length: 20 }, () => `g${next++}`);
      const response = await fetch(`http://${addresses.ingest}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify(batch.map((id) => ({ id, recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }))) }).catch(() => undefined);
      if (response?.status === 202) {
        const at = Date.now();
        for (const id of batch) acknowledged.push({ id, at });
      }
      await response?.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  t.after(() => {
    running = false;
  });
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const dynamic = { httpEndpoint: { url: `${sink.url}/dynamic` }, filterOptions: { includedActionTypes: ['*'] }, payloadOptions: { flushMs: 20, payloadFormat: { https: { format: 'ND_JSON' } } } };
  await pause(300);
  assert.equal((await api('POST', '', { id: 'dynamic', ...dynamic })).status, 201);
  const createdAt = Date.now();
  await pause(500);
  assert.equal((await api('PUT', '/dynamic', { ...dynamic, name: 'Dynamic, renamed', payloadOptions: { flushMs: 50, payloadFormat: { https: { format: 'ND_JSON' } } } })).status, 200);
  await pause(500);
  assert.equal((await api('PUT', '/dynamic', { ...dynamic, enabled: false })).status, 200);
  assert.equal((await api('GET', '/dynamic/status')).body.state, 'suspended');
  await pause(500);
  const whileDisabled = ids('/dynamic').length;
  await pause(300);
  assert.equal(ids('/dynamic').length, whileDisabled, 'nothing is delivered while disabled');
  assert.equal((await api('PUT', '/dynamic', { ...dynamic, enabled: true })).status, 200);
  await pause(500);
  running = false;
  await generator;

  const expectedDynamic = acknowledged.filter((entry) => entry.at > createdAt).map((entry) => entry.id);
  await until(() => expectedDynamic.every((id) => ids('/dynamic').includes(id)), 15_000).catch(() => assert.fail(`${expectedDynamic.filter((id) => !ids('/dynamic').includes(id)).length} events acknowledged after the create were not delivered to it, for example ${expectedDynamic.filter((id) => !ids('/dynamic').includes(id)).slice(0, 3).join(', ')}; received ${ids('/dynamic').length}, first ${ids('/dynamic')[0]}, last ${ids('/dynamic').at(-1)}; expected first ${expectedDynamic[0]}`));
  assert.equal(new Set(ids('/dynamic')).size, ids('/dynamic').length, 'the updated subscription continued from its cursor: no duplicates');
  const all = acknowledged.map((entry) => entry.id);
  await until(() => ids('/steady').length >= all.length, 15_000);
  assert.deepEqual(ids('/steady'), all, 'the file subscription beside the changes: every event, once, in order');

  // Delete: 204, its cursor file goes.
  assert.equal((await api('DELETE', '/dynamic')).status, 204);
  assert.ok(!existsSync(join(dir, 'data', 'cursors', 'dynamic.json')));
  const metrics = await (await fetch(`http://${addresses.admin}/metrics`, { headers: { authorization: `Bearer ${opsToken}` } })).text();
  assert.ok(!metrics.includes('subscription="dynamic"'), 'its metric series go with it');

  // An API object survives SIGKILL and restart, and runs.
  assert.equal((await api('POST', '', { id: 'kept', ...dynamic, httpEndpoint: { url: `${sink.url}/kept` } })).status, 201);
  gateway.kill('SIGKILL');
  await gateway.exited;
  gateway = GatewayProcess.start(file);
  addresses = await gateway.listening();
  const kept = await api('GET', '/kept');
  assert.deepEqual([kept.status, kept.body.managedBy], [200, 'api']);
  const response = await fetch(`http://${addresses.ingest}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'after-restart', recordedAt: '2026-11-24T10:15:00Z', action: { type: 'USER.CREATED' } }) });
  assert.equal(response.status, 202);
  await until(() => ids('/kept').includes('after-restart'), 10_000);
  gateway.kill('SIGTERM');
  assert.equal((await gateway.exited).code, 0);
});

test('a change while a batch is on the wire lets that attempt finish: the restarted subscription does not send it again', async (t) => {
  // The sink takes 300 ms to answer, so the update lands while the batch is in flight.
  const sink = await HttpSink.start({ handler: () => ({ status: 200, body: '{"text":"Success","code":0}', delayMs: 300 }) });
  t.after(() => sink.close());
  const { ingestUrl, adminUrl } = await startGateway(t);
  const api = (method: string, path: string, body: unknown) => fetch(`${adminUrl}/v1/environments/prod/subscriptions${path}`, { method, headers: { authorization: `Bearer ${opsToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const subscription = { httpEndpoint: { url: `${sink.url}/slow` }, filterOptions: { includedActionTypes: ['*'] }, payloadOptions: { flushMs: 20, payloadFormat: { https: { format: 'ND_JSON' } } } };
  assert.equal((await api('POST', '', { id: 'slow', ...subscription })).status, 201);
  await sendEvents(ingestUrl, [1, 2, 3].map((n) => ({ id: `w${n}`, recordedAt: '2026-11-24T10:00:00Z', action: { type: 'USER.CREATED' } })));
  await until(() => sink.requests.length === 1, 10_000);
  assert.equal((await api('PUT', '/slow', { ...subscription, name: 'renamed while sending' })).status, 200);
  await sendEvents(ingestUrl, [{ id: 'w4', recordedAt: '2026-11-24T10:00:01Z', action: { type: 'USER.CREATED' } }]);
  const received = () => sink.requests.flatMap((request) => request.body.trimEnd().split('\n').map((line) => (JSON.parse(line) as { id: string }).id));
  await until(() => received().includes('w4'), 10_000);
  assert.deepEqual(received(), ['w1', 'w2', 'w3', 'w4'], 'each event once');
});
