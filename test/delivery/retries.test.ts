// SPEC §4.5 against a real HTTP server: retries, Retry-After, split on reject, HEC prefixes,
// dead letters, expiry, and the maxInFlight window.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { batchOf } from '../../src/contracts/journal.js';
import { hecAcceptedPrefix } from '../../src/pipeline/retry-policy.js';
import { transportFactory } from '../../src/pipeline/transport-factory.js';
import { parseRetryAfter } from '../../transports/https.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { HttpSink, type SinkOptions } from '../helpers/http-sink.js';
import { ManualClock, until } from '../helpers/manual-clock.js';
import { pipelineFixture, type FixtureOptions } from '../helpers/pipeline-fixture.js';

const event = (id: string, extra: Record<string, unknown> = {}): ActivityEvent => ({ id, recordedAt: '2026-11-23T10:15:00Z', action: { type: 'USER.CREATED' }, ...extra });
const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** A sink, and a pipeline delivering to it over a real transport. */
async function deliveringTo(t: TestContext, sinkOptions: SinkOptions, extraYaml = '', options: FixtureOptions = {}) {
  const sink = await HttpSink.start(sinkOptions);
  t.after(() => sink.close());
  const text = `environments: [ { id: prod } ]
subscriptions:
  - id: sub
    environment: prod
    format: SPLUNK
    startAt: earliest
    httpEndpoint: { url: "${sink.url}/services/collector/event" }
    filterOptions: { includedActionTypes: ["*"] }
${extraYaml}`;
  const { config } = parseConfigText(text, 'test.yaml');
  const subscription = config.subscriptions[0]!;
  const transport = transportFactory(config, captureLogger().logger).create(subscription);
  const fixture = await pipelineFixture(t, subscription, { ...options, transport });
  t.after(() => transport.close());
  return { sink, ...fixture };
}

test('a 500 storm, then recovery: every event arrives, in order, none lost', async (t) => {
  const { sink, journal, pipeline } = await deliveringTo(t, { handler: (_r, i) => (i < 6 ? { status: 500, body: 'busy' } : { status: 200 }) }, '    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 5 } }\n');
  await pipeline.start();
  for (let chunk = 0; chunk < 4; chunk++) await journal.append('prod', batchOf(ids(`c${chunk}-`, 5).map((id) => event(id))));
  const expected = [0, 1, 2, 3].flatMap((chunk) => ids(`c${chunk}-`, 5));
  await until(() => sink.eventIds().length >= expected.length);
  assert.deepEqual(sink.eventIds(), expected);
  assert.ok(sink.statuses.slice(0, 6).every((status) => status === 500));
  await until(() => journal.stats().cursors.sub === 20);
});

test('429 with Retry-After: 3 means no request before 3 s (injected clock)', async (t) => {
  const clock = new ManualClock();
  const { sink, journal, pipeline } = await deliveringTo(t, { handler: (_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 }) }, '    payloadOptions: { flushMs: 0 }\n', { clock });
  await pipeline.start();
  await journal.append('prod', batchOf([event('r1')]));
  await until(() => sink.requests.length === 1 && clock.waiting === 1);
  clock.advance(2999);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(sink.requests.length, 1, 'nothing before 3 s');
  clock.advance(1);
  await until(() => sink.requests.length === 2);
  assert.deepEqual(sink.eventIds(), ['r1']);
});

test('Retry-After 0, a date in the past or "1.5" never removes the backoff: the retry waits the full backoff (injected clock)', async (t) => {
  for (const retryAfter of ['0', new Date(Date.now() - 60_000).toUTCString(), '1.5']) {
    const clock = new ManualClock();
    const { sink, journal, pipeline } = await deliveringTo(t, { handler: (_r, i) => (i < 2 ? { status: 503, headers: { 'retry-after': retryAfter } } : { status: 200 }) }, '    payloadOptions: { flushMs: 0 }\n', { clock, random: () => 1 });
    await pipeline.start();
    await journal.append('prod', batchOf([event('r1')]));
    // Attempt 1 failed: the backoff ceiling for attempt 1 is 500 ms, for attempt 2 1,000 ms.
    for (const [attempt, backoffMs] of [[1, 500], [2, 1000]] as const) {
      await until(() => sink.requests.length === attempt && clock.waiting === 1);
      clock.advance(backoffMs - 1);
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(sink.requests.length, attempt, `Retry-After: ${retryAfter}: no attempt before the ${backoffMs} ms backoff`);
      clock.advance(1);
    }
    await until(() => sink.requests.length === 3);
    assert.deepEqual(sink.eventIds(), ['r1']);
    await pipeline.stop();
  }
});

test('Retry-After is read as integer seconds or an IMF-fixdate only', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter('Tue, 24 Nov 2026 10:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Tue, 24 Nov 2026 09:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('99999', now), 600_000, 'capped at 10 minutes');
  for (const invalid of ['1.5', '-1', 'soon', '2026-11-24T10:00:30Z', 'Tuesday, 24-Nov-26 10:00:30 GMT', '']) assert.equal(parseRetryAfter(invalid, now), undefined, invalid);
});

test('413 for bodies over 700 bytes: everything arrives in smaller batches', async (t) => {
  const { sink, journal, pipeline, deadLettered } = await deliveringTo(t, { handler: (request) => (Buffer.byteLength(request.body) > 700 ? { status: 413 } : { status: 200 }) }, '    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 16 } }\n');
  await pipeline.start();
  const events = ids('s', 16).map((id) => event(id, { pad: 'p'.repeat(40) }));
  await journal.append('prod', batchOf(events));
  await until(() => sink.eventIds().length >= 16);
  assert.deepEqual(sink.eventIds(), ids('s', 16));
  assert.ok(sink.requests.every((request, i) => sink.statuses[i] === 413 || Buffer.byteLength(request.body) <= 700));
  assert.ok(sink.statuses.includes(413));
  assert.deepEqual(deadLettered(), []);
});

test('one poison event answered 400: it alone is dead-lettered, its neighbours are delivered', async (t) => {
  const { sink, journal, pipeline, deadLettered, metrics } = await deliveringTo(t, { handler: (request) => (request.body.includes('"poison"') ? { status: 400, body: '{"text":"Invalid data format","code":6}' } : { status: 200 }) }, '    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 10 } }\n');
  await pipeline.start();
  await journal.append('prod', batchOf(ids('p', 10).map((id) => event(id, id === 'p6' ? { kind: 'poison' } : {}))));
  await until(() => journal.stats().cursors.sub === 10);
  assert.deepEqual(sink.eventIds(), ids('p', 10).filter((id) => id !== 'p6'));
  const letters = deadLettered();
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.event.id, 'p6');
  assert.equal(letters[0]!.status, 400);
  assert.equal(letters[0]!.response, '{"text":"Invalid data format","code":6}');
  assert.equal(letters[0]!.seq, 7);
  assert.match(await metrics.registry.getSingleMetricAsString('siem_gateway_events_dead_lettered_total'), /reason="refused"\} 1/);
});

test('the published HEC answers: a prefix only where the numbering is known', () => {
  // ../shared/reference/fixtures §5: real Splunk answers, compact JSON.
  assert.equal(hecAcceptedPrefix('{"text":"Success","code":0}'), undefined);
  assert.equal(hecAcceptedPrefix('{"text":"Incorrect index","code":7,"invalid-event-number":1}'), undefined, 'code 7 counts from 1: not trusted');
  assert.equal(hecAcceptedPrefix('{"text":"Error in handling indexed fields","code":15,"invalid-event-number":3}'), undefined);
  assert.equal(hecAcceptedPrefix('{"text":"Invalid data format","code":6,"invalid-event-number":3}'), 3);
  assert.equal(hecAcceptedPrefix('{"text":"Event field is required","code":12,"invalid-event-number":0}'), 0);
  assert.equal(hecAcceptedPrefix('{"text":"Event field cannot be blank","code":13,"invalid-event-number":2}'), 2);
});

test('HEC code 7 (Incorrect index) counts invalid-event-number from 1, as real Splunk does: the batch is split as for any 400, the bad event alone is dead-lettered', async (t) => {
  // The published response (fixtures §5, SC4S): {"text":"Incorrect index","code":7,"invalid-event-number":1} for the first event.
  const handler = (request: { body: string }) => {
    const lines = request.body.trimEnd().split('\n');
    const bad = lines.findIndex((line) => line.includes('"bad-index"'));
    return bad < 0 ? { status: 200, body: '{"text":"Success","code":0}' } : { status: 400, body: `{"text":"Incorrect index","code":7,"invalid-event-number":${bad + 1}}` };
  };
  const { sink, journal, pipeline, deadLettered } = await deliveringTo(t, { handler }, '    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 4 } }\n');
  await pipeline.start();
  await journal.append('prod', batchOf(ids('k', 4).map((id) => event(id, id === 'k1' ? { kind: 'bad-index' } : {}))));
  await until(() => journal.stats().cursors.sub === 4);
  // k0 may be indexed twice (at least once); k1 is never taken for indexed.
  assert.deepEqual(sink.eventIds(), ['k0', 'k2', 'k3']);
  assert.deepEqual(deadLettered().map((letter) => letter.event.id), ['k1'], 'the event Splunk refused, not its neighbour');
});

test("HEC's invalid-event-number keeps the accepted prefix; only the bad event is dead-lettered", async (t) => {
  const handler = (request: { body: string }) => {
    const lines = request.body.trimEnd().split('\n');
    const bad = lines.findIndex((line) => line.includes('"bad"'));
    return bad < 0 ? { status: 200, body: '{"text":"Success","code":0}' } : { status: 400, body: `{"text":"Invalid data format","code":6,"invalid-event-number":${bad}}` };
  };
  const { sink, journal, pipeline, deadLettered } = await deliveringTo(t, { handler }, '    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 5 } }\n');
  await pipeline.start();
  await journal.append('prod', batchOf(ids('h', 5).map((id) => event(id, id === 'h2' ? { kind: 'bad' } : {}))));
  await until(() => journal.stats().cursors.sub === 5);
  // h0 and h1 were indexed with the first request; the gateway does not send them again.
  assert.deepEqual(sink.requests.map((r) => r.body.trimEnd().split('\n').length), [5, 1, 2]);
  assert.deepEqual(sink.eventIds(), ['h3', 'h4']);
  assert.deepEqual(deadLettered().map((letter) => letter.event.id), ['h2']);
});

test('events that outlive retention while the destination keeps failing go to the dead-letter store', async (t) => {
  const clock = new ManualClock(Date.now());
  const { sink, journal, pipeline, deadLettered } = await deliveringTo(t, { handler: () => ({ status: 503 }) }, '    payloadOptions: { flushMs: 0 }\n', { clock, maxAgeMs: 60_000 });
  await pipeline.start();
  await journal.append('prod', batchOf([event('old1'), event('old2')]));
  await until(() => sink.requests.length >= 1 && clock.waiting === 1);
  clock.advance(61_000);
  await until(() => journal.stats().cursors.sub === 2);
  assert.deepEqual(deadLettered().map((letter) => [letter.event.id, letter.status, letter.reason.startsWith('expired')]), [['old1', 503, true], ['old2', 503, true]]);
});

test('maxInFlight 3 sends batches in parallel and moves the cursor only over contiguous deliveries', async (t) => {
  // The first batch is answered last.
  const { sink, journal, pipeline } = await deliveringTo(t, { handler: (_r, i) => ({ status: 200, delayMs: i === 0 ? 400 : 10 }) }, '    delivery: { maxInFlight: 3 }\n    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 2 } }\n', { readMax: 2 });
  await pipeline.start();
  await journal.append('prod', batchOf(ids('m', 6).map((id) => event(id))));
  await until(() => sink.requests.length === 3);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(journal.stats().cursors.sub, 0, 'batches 2 and 3 are delivered, but batch 1 is not yet');
  await until(() => journal.stats().cursors.sub === 6);
  assert.deepEqual([...sink.eventIds()].sort(), ids('m', 6));
});
