// splunk.indexerAck against a HEC that acknowledges as Splunk documents it
// (test/helpers/hec-ack-receiver.ts): the cursor moves only past batches HEC says are indexed;
// the next batches go meanwhile; an acknowledgement that never comes means the batch is sent
// again; a restart (SIGKILL) while acknowledgements are pending loses nothing and sends again at
// most the unacknowledged batches; channel errors are named, not dead-lettered.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import { batchOf } from '../../src/contracts/journal.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { transportFactory } from '../../src/pipeline/transport-factory.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { HecAckReceiver } from '../helpers/hec-ack-receiver.js';
import { HttpSink, type SinkOptions } from '../helpers/http-sink.js';
import { ingestToken, opsToken, sample } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { pipelineFixture } from '../helpers/pipeline-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

const event = (id: string): ActivityEvent => ({ id, recordedAt: '2026-12-07T10:15:00.000Z', action: { type: 'USER.CREATED' } });
const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function delivering(t: TestContext, handler: SinkOptions['handler'], splunk = 'indexerAck: true, ackTimeoutMs: 60000', size = 2) {
  const sink = await HttpSink.start({ handler });
  t.after(() => sink.close());
  const text = `environments: [ { id: prod } ]
subscriptions:
  - id: hec
    environment: prod
    format: SPLUNK
    startAt: earliest
    httpEndpoint: { url: "${sink.url}/services/collector/event", headers: { Authorization: "Splunk hec-token-0123" } }
    splunk: { ${splunk} }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: ${size} } }
`;
  const { config } = parseConfigText(text, 'test.yaml');
  const subscription = config.subscriptions[0]!;
  const transport = transportFactory(config, captureLogger().logger).create(subscription);
  t.after(() => transport.close());
  return { sink, ...(await pipelineFixture(t, subscription, { transport })) };
}

test('the cursor moves only past batches HEC acknowledges as indexed, in order; the next batches go while they wait', async (t) => {
  const receiver = new HecAckReceiver();
  const { sink, journal, pipeline, metrics } = await delivering(t, receiver.handler);
  await pipeline.start();
  for (const prefix of ['a', 'b', 'c']) await journal.append('prod', batchOf(ids(prefix, 2).map((id) => event(id))));
  // All three sent (maxInFlight 1 counts batches on the wire, not those awaiting acknowledgement).
  await until(() => receiver.waiting().length === 3);
  await until(() => receiver.ackQueries.length >= 2);
  assert.equal(journal.stats().cursors.hec, 0, 'nothing acknowledged, nothing passed');
  assert.match(await metrics.registry.getSingleMetricAsString('siem_gateway_indexer_acks_pending'), /subscription="hec"\} 3$/m);

  const [a, b, c] = receiver.waiting();
  receiver.index(b!);
  await until(() => b!.ackId === -1, 5000, 'b reported acknowledged');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(journal.stats().cursors.hec, 0, 'b is indexed, but a before it is not');
  receiver.index(a!);
  await until(() => journal.stats().cursors.hec === 4);
  receiver.index(c!);
  await until(() => journal.stats().cursors.hec === 6);

  const channels = new Set(sink.requests.map((request) => request.headers['x-splunk-request-channel']));
  assert.equal(channels.size, 1, 'one channel for every request, acknowledgement queries included');
  assert.match([...channels][0] as string, uuid);
  assert.ok(sink.requests.filter((request) => request.url === '/services/collector/ack').every((request) => request.headers.authorization === 'Splunk hec-token-0123'));
  assert.deepEqual(receiver.indexed, ['b0', 'b1', 'a0', 'a1', 'c0', 'c1']);
  assert.match(await metrics.registry.getSingleMetricAsString('siem_gateway_indexer_ack_latency_seconds'), /siem_gateway_indexer_ack_latency_seconds_count\{environment="prod",subscription="hec"\} 3$/m);
  assert.match(await metrics.registry.getSingleMetricAsString('siem_gateway_events_delivered_total'), /subscription="hec"\} 6$/m);
  assert.match(await metrics.registry.getSingleMetricAsString('siem_gateway_indexer_acks_pending'), /subscription="hec"\} 0$/m);
});

test('a burst of many more batches than may wait for acknowledgement: the sender stops at 64 waiting beside the one on the wire, and goes on as they are acknowledged; none lost, none twice', async (t) => {
  const receiver = new HecAckReceiver();
  const { journal, pipeline } = await delivering(t, receiver.handler);
  await pipeline.start();
  const all = ids('w', 400);
  for (let at = 0; at < all.length; at += 100) await journal.append('prod', batchOf(all.slice(at, at + 100).map((id) => event(id))));
  // Nothing is indexed until the sender stops on its own: the window holds it.
  let stable = 0;
  let last = -1;
  await until(() => {
    const waiting = receiver.waiting().length;
    stable = waiting === last ? stable + 1 : 0;
    last = waiting;
    return waiting > 0 && stable >= 150;
  }, 10_000);
  assert.equal(receiver.waiting().length, 65, 'one on the wire and 64 awaiting acknowledgement, then the sender waits');
  await until(() => {
    for (const batch of receiver.waiting()) receiver.index(batch);
    return journal.stats().cursors.hec === 400;
  }, 20_000);
  assert.equal(receiver.batches.length, 200, 'each batch sent once');
  assert.deepEqual(receiver.indexed, all);
});

test('an acknowledgement that never comes: after ackTimeoutMs the batch is sent again, and indexed once', async (t) => {
  const receiver = new HecAckReceiver();
  const { journal, pipeline, metrics, lines } = await delivering(t, receiver.handler, 'indexerAck: true, ackTimeoutMs: 1000');
  await pipeline.start();
  await journal.append('prod', batchOf(ids('l', 2).map((id) => event(id))));
  await until(() => receiver.waiting().length === 1);
  receiver.lose(receiver.waiting()[0]!);
  await until(() => receiver.waiting().length === 1, 5000, 'the batch sent again');
  receiver.index(receiver.waiting()[0]!);
  await until(() => journal.stats().cursors.hec === 2);
  assert.deepEqual(receiver.batches.map((batch) => [batch.ids, batch.state]), [[['l0', 'l1'], 'lost'], [['l0', 'l1'], 'indexed']]);
  assert.deepEqual(receiver.indexed, ['l0', 'l1']);
  assert.match(await metrics.registry.getSingleMetricAsString('siem_gateway_indexer_ack_timeouts_total'), /subscription="hec"\} 1$/m);
  assert.ok(lines.some((line) => /was not acknowledged as indexed within splunk\.ackTimeoutMs; sending it again/.test(String(line.msg))));
});

test('HEC refusing the channel (code 11) is named and retried, never split or dead-lettered; without indexerAck, code 10 says to turn it on', async (t) => {
  const receiver = new HecAckReceiver();
  receiver.indexAtOnce = true;
  receiver.refuseChannel = 2;
  const { journal, pipeline, deadLettered, metrics } = await delivering(t, receiver.handler);
  await pipeline.start();
  await journal.append('prod', batchOf(ids('n', 2).map((id) => event(id))));
  await until(() => journal.stats().cursors.hec === 2, 10_000);
  assert.deepEqual(deadLettered(), []);
  assert.deepEqual(receiver.indexed, ['n0', 'n1']);
  assert.match(await metrics.registry.getSingleMetricAsString('siem_gateway_delivery_attempts_total'), /outcome="failed",status_class="4xx"\} 2$/m);

  const plain = new HecAckReceiver();
  const second = await delivering(t, plain.handler, 'index: audit');
  await second.pipeline.start();
  await second.journal.append('prod', batchOf([event('m0')]));
  await until(() => second.lines.some((line) => /the destination is failing/.test(String(line.msg))));
  const failing = second.lines.find((line) => /the destination is failing/.test(String(line.msg)))!;
  assert.match(String(failing.msg), /HEC code 10 \(Data channel is missing\): the token has indexer acknowledgement on; set splunk\.indexerAck: true/);
  assert.deepEqual(second.deadLettered(), []);
});

test('stopped while HEC is still answering: the late ackId is not waited for, stop ends, and the batch stays behind the cursor', async (t) => {
  const receiver = new HecAckReceiver();
  const { journal, pipeline } = await delivering(t, (request) => {
    const answer = receiver.handler(request);
    return typeof answer === 'string' || request.url.startsWith('/services/collector/ack') ? answer : { ...answer, delayMs: 400 };
  }, 'indexerAck: true');
  await pipeline.start();
  await journal.append('prod', batchOf([event('late')]));
  await until(() => receiver.batches.length === 1);
  const stopping = pipeline.stop();
  const outcome = await Promise.race([stopping.then(() => 'stopped'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5000))]);
  assert.equal(outcome, 'stopped');
  assert.equal(journal.stats().cursors.hec, 0, 'not acknowledged: sent again after the next start');
});

test('a token without indexer acknowledgement (no ackId): said once, and batches count as delivered on the 200', async (t) => {
  // HttpSink's default answer is HEC's without an ackId.
  const { journal, pipeline, lines } = await delivering(t, undefined, 'indexerAck: true', 1);
  await pipeline.start();
  await journal.append('prod', batchOf(ids('p', 3).map((id) => event(id))));
  await until(() => journal.stats().cursors.hec === 3);
  assert.equal(lines.filter((line) => /answered without an ackId/.test(String(line.msg))).length, 1);
});

test('SIGKILL while acknowledgements are pending: after the restart nothing is lost, and only the unacknowledged batches are sent again, on the same channel', async (t) => {
  const receiver = new HecAckReceiver();
  const sink = await HttpSink.start({ handler: receiver.handler });
  t.after(() => sink.close());
  const dir = tempDir(t);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
storage: { dir: data }
environments: [ { id: prod } ]
auth:
  tokens:
    - { name: collector, token: "${ingestToken}", scopes: [ingest] }
    - { name: ops, token: "${opsToken}", scopes: [admin, metrics] }
subscriptions:
  - id: hec
    environment: prod
    format: SPLUNK
    httpEndpoint: { url: "${sink.url}/services/collector/event" }
    splunk: { indexerAck: true }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 5 } }
`);
  const send = async (ingest: string, batch: string[]) => {
    const response = await fetch(`http://${ingest}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify(batch.map((id) => event(id))) });
    assert.equal(response.status, 202);
  };
  const gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  const first = await gateway.listening();
  await send(first.ingest, ids('k', 5));
  await until(() => receiver.waiting().length === 1, 10_000);
  receiver.index(receiver.waiting()[0]!);
  // k0-k4 acknowledged: the cursor passes them (and is saved) before the next batches.
  await until(async () => sample(await (await fetch(`http://${first.admin}/metrics`, { headers: { authorization: `Bearer ${opsToken}` } })).text(), 'siem_gateway_events_delivered_total{environment="prod",subscription="hec"}') === 5, 10_000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await send(first.ingest, ids('q', 5));
  await send(first.ingest, ids('r', 5));
  await until(() => receiver.waiting().length === 2, 10_000);
  const channel = receiver.batches[0]!.channel;
  gateway.kill('SIGKILL');
  await gateway.exited;

  const restarted = GatewayProcess.start(file);
  t.after(() => restarted.kill());
  await restarted.listening();
  await until(() => receiver.waiting().length === 4, 10_000, 'the two unacknowledged batches sent again');
  for (const batch of receiver.waiting()) receiver.index(batch);
  await until(() => restarted.lines.some((line) => line.msg === 'delivery' && line.firstEventId === 'r0'), 10_000);
  assert.deepEqual(receiver.batches.map((batch) => batch.ids[0]), ['k0', 'q0', 'r0', 'q0', 'r0'], 'k was acknowledged before the kill: not sent again');
  assert.ok(receiver.batches.every((batch) => batch.channel === channel), 'the same channel after the restart');
  assert.deepEqual(new Set(receiver.indexed), new Set([...ids('k', 5), ...ids('q', 5), ...ids('r', 5)]), 'nothing lost');
  restarted.kill('SIGTERM');
  assert.equal((await restarted.exited).code, 0);
});

test('splunk.indexerAck belongs to SPLUNK over HTTPS', () => {
  const text = (format: string) => `environments: [ { id: prod } ]
subscriptions:
  - id: s
    environment: prod
    format: ${format}
    httpEndpoint: { url: "https://127.0.0.1:8088/services/collector/event" }
    splunk: { indexerAck: true, ackTimeoutMs: 500 }
    filterOptions: { includedActionTypes: ["*"] }
`;
  assert.throws(() => parseConfigText(text('ACTIVITY'), 'g.yaml'), (error: Error & { problems?: string[] }) => {
    assert.deepEqual(error.problems, ['g.yaml:7 subscriptions[0].splunk.ackTimeoutMs: must be 1000..3600000']);
    return true;
  });
  assert.throws(() => parseConfigText(text('ACTIVITY').replace('ackTimeoutMs: 500', 'ackTimeoutMs: 5000'), 'g.yaml'), (error: Error & { problems?: string[] }) => {
    assert.deepEqual(error.problems, ['g.yaml:7 subscriptions[0].splunk.indexerAck: is only used with format SPLUNK over HTTPS']);
    return true;
  });
});
