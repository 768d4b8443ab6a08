// A pipeline never dies silently: when its cursor directory is replaced by a file, the next cursor
// write fails, the subscription is `failing` in /readyz and in the metrics, the log says so once,
// and it restarts with backoff; once the directory is back it delivers again without a restart of
// the gateway, and nothing acknowledged is lost.
import assert from 'node:assert/strict';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { startIdSink } from '../helpers/http-sink.js';
import { ingestToken, opsToken, sample } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { writeSinkGatewayConfig } from '../helpers/sink-gateway-config.js';
import { tempDir } from '../helpers/temp-dir.js';

test('a failed cursor write: the subscription is failing (readyz, metrics, one error line), restarts with backoff, and heals once the directory is back', async (t) => {
  const { sink, ids } = await startIdSink();
  t.after(() => sink.close());
  const received = ids('/');
  const dir = tempDir(t);
  const file = writeSinkGatewayConfig(dir, `${sink.url}/`);
  const gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  const addresses = await gateway.listening();
  const ingest = `http://${addresses.ingest}`;
  const admin = `http://${addresses.admin}`;
  const acknowledged: string[] = [];
  let next = 0;
  const send = async (count: number) => {
    const batch = Array.from({ length: count }, () => `e${next++}`);
    const response = await fetch(`${ingest}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify(batch.map((id) => ({ id, recordedAt: '2026-11-24T10:15:00.000Z', action: { type: 'USER.CREATED' } }))) });
    assert.equal(response.status, 202);
    acknowledged.push(...batch);
  };
  const state = async () => {
    const response = await fetch(`${admin}/readyz`, { headers: { authorization: `Bearer ${opsToken}` } });
    return ((await response.json()) as { subscriptions: { id: string; state: string }[] }).subscriptions.find((s) => s.id === 'sink')?.state;
  };
  const metrics = async () => (await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${opsToken}` } })).text();
  const labels = '{environment="prod",subscription="sink"}';

  await send(50);
  await until(() => received.length >= 50, 10_000);
  const cursors = join(dir, 'data', 'cursors');
  renameSync(cursors, `${cursors}-away`);
  writeFileSync(cursors, 'not a directory');

  // Events keep arriving while the cursor cannot be saved: every restart fails again.
  const started = Date.now();
  let seenFailing = false;
  while (Date.now() - started < 4_000) {
    await send(5);
    await new Promise((resolve) => setTimeout(resolve, 250));
    if ((await state()) === 'failing') seenFailing = true;
  }
  assert.ok(seenFailing, '/readyz shows the subscription failing');
  assert.equal(await state(), 'failing');
  const during = await metrics();
  assert.equal(sample(during, `siem_gateway_subscription_failing${labels}`), 1);
  assert.equal(sample(during, `siem_gateway_delivery_retrying${labels}`), 1, 'the subscription-failing alert fires on this gauge');
  const errors = gateway.lines.filter((line) => String(line.msg).startsWith('subscription sink failed'));
  assert.equal(errors.length, 1, 'one error line for the transition');
  assert.equal(errors[0]!.level, 50);
  assert.match(String(errors[0]!.msg), /ENOTDIR|ENOENT/);

  unlinkSync(cursors);
  renameSync(`${cursors}-away`, cursors);
  await send(20);
  await until(async () => (await state()) === 'ok', 90_000);
  await until(() => acknowledged.every((id) => received.includes(id)), 20_000);
  assert.equal(sample(await metrics(), `siem_gateway_subscription_failing${labels}`), 0);
  assert.equal(gateway.lines.filter((line) => String(line.msg).startsWith('subscription sink recovered')).length, 1);
  assert.equal(gateway.lines.filter((line) => String(line.msg).startsWith('subscription sink failed')).length, 1, 'still one error line');
});
