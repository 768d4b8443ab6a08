// Format ELASTICSEARCH against a real HTTP server that answers as Elasticsearch's _bulk API does
// (test/helpers/bulk-receiver.ts): each event is settled as its own item says. Indexed ones count,
// 409 on create counts as already there, 429/5xx ones are sent again alone and in order before the
// subscription moves on, 400 ones become dead letters with the item's error, and an answer that
// does not account for every event is never taken as delivered.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import { batchOf } from '../../src/contracts/journal.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { transportFactory } from '../../src/pipeline/transport-factory.js';
import { BulkReceiver, type ItemScript } from '../helpers/bulk-receiver.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { HttpSink, type SinkAnswer, type SinkRequest } from '../helpers/http-sink.js';
import { opsToken, sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { pipelineFixture } from '../helpers/pipeline-fixture.js';

const event = (id: string, recordedAt = '2026-12-07T10:15:00.000Z'): ActivityEvent => ({ id, recordedAt, action: { type: 'USER.CREATED', description: 'User Created' }, actors: { user: { id: `u-${id}`, name: 'alice@example.com', type: 'USER' } }, result: { status: 'SUCCESS' } });
const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

async function deliveringTo(t: TestContext, handler: (request: SinkRequest, index: number) => SinkAnswer, size = 500) {
  const sink = await HttpSink.start({ handler });
  t.after(() => sink.close());
  const text = `environments: [ { id: prod } ]
subscriptions:
  - id: sub
    environment: prod
    format: ELASTICSEARCH
    startAt: earliest
    httpEndpoint: { url: "${sink.url}/_bulk" }
    elasticsearch: { index: "idp-audit-\${recordedAt:yyyy.MM.dd}" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: ${size} } }
`;
  const { config } = parseConfigText(text, 'test.yaml');
  const subscription = config.subscriptions[0]!;
  const transport = transportFactory(config, captureLogger().logger).create(subscription);
  const fixture = await pipelineFixture(t, subscription, { transport });
  t.after(() => transport.close());
  return { sink, ...fixture };
}

const metric = async (metrics: { registry: { getSingleMetricAsString(name: string): Promise<string> } }, name: string, labels: string) => {
  const line = (await metrics.registry.getSingleMetricAsString(name)).split('\n').find((candidate) => candidate.includes(labels));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

test('each event is settled as its bulk item says: indexed, already there, throttled (sent again alone, in order), rejected with its error', async (t) => {
  const script: ItemScript = (id, attempt) => (id === 'a3' && attempt <= 2 ? 'throttled' : id === 'a6' && attempt === 1 ? 'unavailable' : id === 'a5' ? 'mapping-error' : 'indexed');
  const receiver = new BulkReceiver(script);
  const { journal, pipeline, metrics, deadLettered } = await deliveringTo(t, receiver.handler, 10);
  // a7 is already in the index: a redelivery after a crash.
  receiver.indices.set('idp-audit-2026.12.07', new Map([['a7', { already: true }]]));
  await pipeline.start();
  await journal.append('prod', batchOf(ids('a', 10).map((id) => event(id))));
  await journal.append('prod', batchOf(ids('b', 3).map((id) => event(id))));
  await until(() => journal.stats().cursors.sub === 13);

  // The throttled and unavailable events went again alone, in order, before the next batch.
  assert.deepEqual(receiver.requests, [ids('a', 10), ['a3', 'a6'], ['a3'], ids('b', 3)]);
  const index = receiver.indices.get('idp-audit-2026.12.07')!;
  assert.deepEqual([...index.keys()].sort(), [...ids('a', 10).filter((id) => id !== 'a5'), ...ids('b', 3)].sort(), 'every event once, but the refused one');
  assert.deepEqual(index.get('a7'), { already: true }, 'create never overwrites');
  const letters = deadLettered();
  assert.deepEqual(letters.map((letter) => [letter.event.id, letter.status]), [['a5', 400]]);
  assert.match(letters[0]!.reason, /^refused by the destination: document_parsing_exception: \[1:15\] failed to parse field \[user\.id\] of type \[long\] in document with id 'a5'$/);
  assert.doesNotMatch(letters[0]!.reason, /u-a5|Preview/, 'the value Elasticsearch quotes is event data: not in the reason');

  assert.equal(await metric(metrics, 'siem_gateway_events_delivered_total', 'subscription="sub"'), 12);
  assert.equal(await metric(metrics, 'siem_gateway_events_already_delivered_total', 'subscription="sub"'), 1);
  assert.equal(await metric(metrics, 'siem_gateway_events_dead_lettered_total', 'reason="item_refused"'), 1);
  assert.equal(await metric(metrics, 'siem_gateway_delivery_attempts_total', 'outcome="partial"'), 2);
  assert.equal(await metric(metrics, 'siem_gateway_delivery_attempts_total', 'outcome="delivered"'), 2);
});

test('the body is bulk NDJSON: a create action with the day\'s index and the event id, then the ECS document', async (t) => {
  const receiver = new BulkReceiver();
  const { sink, journal, pipeline } = await deliveringTo(t, receiver.handler);
  await pipeline.start();
  await journal.append('prod', batchOf([event('d1', '2026-12-31T23:59:59.999Z'), event('d2', '2027-01-01T00:00:00.000Z')]));
  await until(() => journal.stats().cursors.sub === 2);
  const request = sink.requests[0]!;
  assert.equal(request.headers['content-type'], 'application/x-ndjson');
  const lines = request.body.split('\n');
  assert.equal(lines.length, 5, 'four lines and the final newline the Bulk API requires');
  assert.equal(lines[4], '');
  assert.deepEqual(JSON.parse(lines[0]!), { create: { _index: 'idp-audit-2026.12.31', _id: 'd1' } });
  assert.deepEqual(JSON.parse(lines[2]!), { create: { _index: 'idp-audit-2027.01.01', _id: 'd2' } });
  const document = JSON.parse(lines[1]!) as { '@timestamp': string; event: Record<string, unknown>; user: unknown };
  assert.equal(document['@timestamp'], '2026-12-31T23:59:59.999Z');
  assert.deepEqual([document.event.id, document.event.action, document.event.outcome], ['d1', 'user.created', 'success']);
  assert.deepEqual(document.user, { id: 'u-d1', name: 'alice@example.com' });
});

test('errors:false is not trusted: the items say 429, so those events are sent again', async (t) => {
  const receiver = new BulkReceiver((id, attempt) => (id === 'e1' && attempt === 1 ? 'throttled' : 'indexed'), true);
  const { journal, pipeline } = await deliveringTo(t, receiver.handler);
  await pipeline.start();
  await journal.append('prod', batchOf(ids('e', 3).map((id) => event(id))));
  await until(() => journal.stats().cursors.sub === 3);
  assert.deepEqual(receiver.requests, [ids('e', 3), ['e1']]);
  assert.deepEqual(receiver.storedIds(), ['e0', 'e2', 'e1']);
});

test('an answer that does not account for every event is never taken as delivered: the request goes again, and create makes it harmless', async (t) => {
  const receiver = new BulkReceiver();
  const answers: SinkAnswer[] = [{ status: 200, body: '{"errors":false}' }, { status: 200, body: '{"took":1,"errors":false,"items":[{"create":{"status":201}}]}' }];
  const { journal, pipeline, metrics } = await deliveringTo(t, (request, index) => {
    const real = receiver.handler(request);
    return answers[index] ?? real;
  });
  await pipeline.start();
  await journal.append('prod', batchOf(ids('u', 3).map((id) => event(id))));
  await until(() => journal.stats().cursors.sub === 3);
  // The first two answers were unreadable (no items; one item for three events), though the receiver stored them.
  assert.deepEqual(receiver.requests, [ids('u', 3), ids('u', 3), ids('u', 3)]);
  assert.deepEqual(receiver.storedIds(), ids('u', 3));
  assert.equal(await metric(metrics, 'siem_gateway_events_delivered_total', 'subscription="sub"'), 3);
  assert.equal(await metric(metrics, 'siem_gateway_events_already_delivered_total', 'subscription="sub"'), 3, 'the third attempt found all three there');
  assert.equal(await metric(metrics, 'siem_gateway_delivery_attempts_total', 'outcome="failed",status_class="2xx"'), 2);
});

test('a connection cut after the index stored the batch: the request goes again and every event is stored once', async (t) => {
  const receiver = new BulkReceiver();
  const { journal, pipeline } = await deliveringTo(t, (request, index) => {
    const answer = receiver.handler(request);
    return index === 0 ? 'destroy' : answer;
  });
  await pipeline.start();
  await journal.append('prod', batchOf(ids('c', 4).map((id) => event(id))));
  await until(() => journal.stats().cursors.sub === 4);
  assert.deepEqual(receiver.requests, [ids('c', 4), ids('c', 4)]);
  assert.deepEqual(receiver.storedIds(), ids('c', 4));
});

test('a burst many times one batch, with throttled items in every batch: every event indexed once, in order per batch', async (t) => {
  const receiver = new BulkReceiver((id, attempt) => (Number(id.slice(1)) % 7 === 3 && attempt === 1 ? 'throttled' : 'indexed'));
  const { journal, pipeline, metrics } = await deliveringTo(t, receiver.handler, 50);
  await pipeline.start();
  const all = ids('x', 2000);
  for (let at = 0; at < all.length; at += 100) await journal.append('prod', batchOf(all.slice(at, at + 100).map((id) => event(id))));
  await until(() => journal.stats().cursors.sub === 2000, 20_000);
  assert.equal(receiver.storedIds().length, 2000);
  assert.deepEqual(new Set(receiver.storedIds()), new Set(all));
  // Each throttled subset follows its own batch at once.
  for (let request = 0; request < receiver.requests.length; request += 2) {
    assert.deepEqual(receiver.requests[request + 1], receiver.requests[request]!.filter((id) => Number(id.slice(1)) % 7 === 3));
  }
  assert.equal(await metric(metrics, 'siem_gateway_events_delivered_total', 'subscription="sub"'), 2000);
});

test('through the API: an ELASTICSEARCH subscription with a dated index delivers, and test-send says when the index refused the test event', async (t) => {
  const receiver = new BulkReceiver((id) => (id.startsWith('siem-gateway-test-') ? 'mapping-error' : 'indexed'));
  const sink = await HttpSink.start({ handler: receiver.handler });
  t.after(() => sink.close());
  const { adminUrl, ingestUrl } = await startGateway(t);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${adminUrl}/v1/environments/prod/subscriptions${path}`, { method, headers: { authorization: `Bearer ${opsToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const refused = await call('POST', '', { id: 'es', format: 'ELASTICSEARCH', httpEndpoint: { url: `${sink.url}/_bulk` }, elasticsearch: { index: 'idp-${env:HOME}' }, filterOptions: { includedActionTypes: ['*'] } });
  assert.equal(refused.status, 400);
  assert.deepEqual((refused.body.problems as { path: string }[]).map((problem) => problem.path), ['/elasticsearch/index'], 'a reference is never resolved in the API');
  const unknown = await call('POST', '', { id: 'es', format: 'ELASTICSEARCH', httpEndpoint: { url: `${sink.url}/_bulk` }, elasticsearch: { index: 'idp-${actors.user.name}' }, filterOptions: { includedActionTypes: ['*'] } });
  assert.match(JSON.stringify(unknown.body.problems), /only \$\{recordedAt:…\} with yyyy, MM, dd and HH is filled in an index name/, 'an event never chooses its index');
  const created = await call('POST', '', { id: 'es', format: 'ELASTICSEARCH', httpEndpoint: { url: `${sink.url}/_bulk` }, elasticsearch: { index: 'idp-${recordedAt:yyyy.MM.dd}' }, filterOptions: { includedActionTypes: ['*'] }, payloadOptions: { flushMs: 0 } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.elasticsearch, { index: 'idp-${recordedAt:yyyy.MM.dd}' });

  const sent = await call('POST', '/es/test');
  assert.equal(sent.body.status, 200);
  assert.equal(sent.body.delivered, false, 'the answer was 200, but its item refused the event');
  assert.deepEqual(sent.body.item, { outcome: 'rejected', status: 400, reason: `document_parsing_exception: [1:15] failed to parse field [user.id] of type [long] in document with id '${String(sent.body.eventId)}'` });

  await sendEvents(ingestUrl, [event('api-1', '2026-12-07T01:02:03.000Z')]);
  await until(() => receiver.storedIds().includes('api-1'));
  assert.deepEqual([...receiver.indices.get('idp-2026.12.07')!.keys()], ['api-1']);
});
