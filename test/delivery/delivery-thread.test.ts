// server.deliveryThread: on — the pipelines in a worker thread, the journal, cursors and dead
// letters in the main thread. Real gateway, real sinks, real promtool: delivery in order, the
// routes and one merged exposition, a backlog read from the segment files after a restart, a
// dead letter written through the main thread, and a thread that dies and comes back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { parseConfigText } from '../../src/config/load-config.js';
import { Gateway } from '../../src/gateway.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { HttpSink, startIdSink } from '../helpers/http-sink.js';
import { ingestToken, opsToken, sample, scrape, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { tempDirClosing } from '../helpers/temp-dir.js';

const events = (prefix: string, from: number, count: number) =>
  Array.from({ length: count }, (_, k) => ({ id: `${prefix}${from + k}`, recordedAt: '2026-11-24T10:15:00.250Z', action: { type: (from + k) % 4 === 0 ? 'USER.DELETED' : 'USER.CREATED' }, source: { ipAddress: '203.0.113.9' } }));

test('delivery thread: two subscriptions get every event in order; status, readyz and one merged /metrics see its work', async (t) => {
  const { sink, ids } = await startIdSink();
  t.after(() => sink.close());
  const { adminUrl, ingestUrl, lines } = await startGateway(t, {
    deliveryThread: 'on',
    extra: `subscriptions:
  - id: ordered
    environment: prod
    httpEndpoint: { url: "${sink.url}/ordered" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 40 }, payloadFormat: { https: { format: ND_JSON } } }
    delivery: { maxInFlight: 1 }
  - id: deleted
    environment: prod
    httpEndpoint: { url: "${sink.url}/deleted" }
    filterOptions: { includedActionTypes: ["USER.DELETED"] }
    payloadOptions: { flushMs: 20, payloadFormat: { https: { format: ND_JSON } } }
`,
  });
  const sent: string[] = [];
  for (let r = 0; r < 10; r++) {
    const batch = events('e', r * 50, 50);
    await sendEvents(ingestUrl, batch);
    sent.push(...batch.map((event) => event.id));
  }
  await until(() => ids('/ordered').length >= 500 && ids('/deleted').length >= 125, 10_000);
  assert.deepEqual(ids('/ordered'), sent);
  assert.deepEqual(ids('/deleted'), sent.filter((_id, i) => i % 4 === 0));
  // The thread's log lines reach the gateway's logger.
  assert.ok(lines.some((line) => line.msg === 'subscription started' && line.subscription === 'ordered'));

  const headers = { authorization: `Bearer ${opsToken}` };
  await until(async () => ((await (await fetch(`${adminUrl}/v1/environments/prod/subscriptions/ordered/status`, { headers })).json()) as { backlogEvents: number }).backlogEvents === 0);
  const status = (await (await fetch(`${adminUrl}/v1/environments/prod/subscriptions/ordered/status`, { headers })).json()) as Record<string, unknown>;
  assert.equal(status.state, 'ok');
  assert.equal(status.deliveredLastMinute, 500);
  assert.equal((status.lastAttempt as { outcome: string }).outcome, 'delivered');
  const ready = (await (await fetch(`${adminUrl}/readyz`, { headers })).json()) as { status: string; subscriptions: { id: string; state: string }[] };
  assert.deepEqual(ready, { status: 'ready', subscriptions: [{ id: 'ordered', environment: 'prod', state: 'ok' }, { id: 'deleted', environment: 'prod', state: 'ok' }] });

  const text = await scrape(adminUrl);
  assert.equal(sample(text, 'siem_gateway_events_received_total{environment="prod"}'), 500);
  assert.equal(sample(text, 'siem_gateway_events_delivered_total{environment="prod",subscription="ordered"}'), 500);
  assert.equal(sample(text, 'siem_gateway_events_delivered_total{environment="prod",subscription="deleted"}'), 125);
  assert.equal(sample(text, 'siem_gateway_events_filtered_total{environment="prod",subscription="deleted"}'), 375);
  assert.equal(sample(text, 'siem_gateway_backlog_events{environment="prod",subscription="ordered"}'), 0);
  // Process metrics once (the main thread's), not once per thread.
  assert.equal(text.split('\n').filter((line) => line.startsWith('# HELP siem_gateway_process_cpu_seconds_total')).length, 1);
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
});

test('delivery thread: a backlog is read from the segment files after a restart, a refused event is dead-lettered, a thread that dies comes back', async (t) => {
  let accepting = false;
  const delivered: string[] = [];
  const sink = await HttpSink.start({
    handler: (request) => {
      if (!accepting) return { status: 503, body: '{}' };
      const batch = request.body.trimEnd().split('\n').map((line) => (JSON.parse(line) as { id: string }).id);
      if (batch.includes('b777')) return { status: 400, body: '{"error":"bad event"}' };
      delivered.push(...batch);
      return { status: 200, body: '{}' };
    },
  });
  t.after(() => sink.close());
  // The directory goes only after every gateway started here has stopped (they write cursors to it).
  const gateways: Gateway[] = [];
  const dir = tempDirClosing(t, async () => {
    for (const gateway of gateways) await gateway.stop();
  });
  const text = `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
  deliveryThread: on
storage: { dir: ${join(dir, 'data')} }
auth: { tokens: [ { name: collector, token: "${ingestToken}", scopes: [ingest] }, { name: ops, token: "${opsToken}", scopes: [admin, metrics] } ] }
environments: [ { id: prod } ]
subscriptions:
  - id: backlog
    environment: prod
    httpEndpoint: { url: "${sink.url}/backlog" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 200 }, payloadFormat: { https: { format: ND_JSON } } }
    delivery: { maxInFlight: 1 }
`;
  const start = async () => {
    const { logger, lines } = captureLogger();
    const gateway = await Gateway.start(parseConfigText(text, join(dir, 'gateway.yaml')), logger);
    gateways.push(gateway);
    const { ingest, admin } = gateway.addresses();
    return { gateway, lines, ingestUrl: `http://${ingest}`, adminUrl: `http://${admin}` };
  };

  // 3,000 events while the destination refuses everything, then a restart: the new thread's
  // memory is empty, so all of it comes from the segment files.
  const first = await start();
  const sent: string[] = [];
  for (let r = 0; r < 30; r++) {
    const batch = events('b', r * 100, 100);
    await sendEvents(first.ingestUrl, batch);
    sent.push(...batch.map((event) => event.id));
  }
  await first.gateway.stop();
  accepting = true;
  const second = await start();
  const expected = sent.filter((id) => id !== 'b777');
  await until(() => delivered.length >= expected.length, 15_000);
  assert.deepEqual(delivered, expected);
  const headers = { authorization: `Bearer ${opsToken}` };
  const letters = (await (await fetch(`${second.adminUrl}/v1/environments/prod/subscriptions/backlog/dead-letters`, { headers })).json()) as { total: number; deadLetters: { seq: number; status: number; event: { id: string } }[] };
  assert.equal(letters.total, 1);
  assert.deepEqual([letters.deadLetters[0]!.event.id, letters.deadLetters[0]!.status], ['b777', 400]);

  // The thread dies: it is logged, started again, and resumes from its cursor.
  const worker = (second.gateway as unknown as { delivery: { worker: Worker } }).delivery.worker;
  await worker.terminate();
  await until(() => second.lines.some((line) => line.msg.startsWith('the delivery thread stopped')));
  // Meanwhile /metrics still answers, with what the main thread counts.
  assert.equal(sample(await scrape(second.adminUrl), 'siem_gateway_journal_last_seq'), 3000);
  const more = events('c', 0, 100);
  await sendEvents(second.ingestUrl, more);
  await until(() => delivered.includes('c99'), 10_000);
  // At least once and in order: whatever came again after the restart is a repeat of a suffix.
  const after = delivered.slice(expected.length);
  assert.deepEqual(after.slice(after.indexOf('c0')), more.map((event) => event.id));
  await until(async () => ((await (await fetch(`${second.adminUrl}/readyz`, { headers })).json()) as { subscriptions: { state: string }[] }).subscriptions[0]!.state === 'ok');
});
