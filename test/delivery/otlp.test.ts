// Format OTLP against real OTLP/HTTP receivers: Fluent Bit's in_opentelemetry decodes the
// gateway's protobuf and JSON requests (every event once, as the LogRecord the issue describes),
// and a receiver answering partial success (opentelemetry-proto, collector/logs/v1/logs_service.proto:
// ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1 } with
// { int64 rejected_log_records = 1; string error_message = 2 }) whose rejected records become
// dead letters with its message.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import { batchOf } from '../../src/contracts/journal.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { transportFactory } from '../../src/pipeline/transport-factory.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { startFluentBit } from '../helpers/fluent-bit.js';
import { HttpSink, type SinkAnswer } from '../helpers/http-sink.js';
import { until } from '../helpers/manual-clock.js';
import { pipelineFixture } from '../helpers/pipeline-fixture.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../test/fixtures/idp/${name}`, import.meta.url), 'utf8')) as ActivityEvent;

async function delivering(t: TestContext, url: string, encoding: 'protobuf' | 'json', size = 100) {
  const text = `environments: [ { id: prod } ]
subscriptions:
  - id: otel
    environment: prod
    format: OTLP
    startAt: earliest
    httpEndpoint: { url: "${url}/v1/logs" }
    otlp: { encoding: ${encoding} }
    filterOptions: { includedActionTypes: ["*"], ipAddressExposed: true }
    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: ${size} } }
`;
  const { config } = parseConfigText(text, 'test.yaml');
  const subscription = config.subscriptions[0]!;
  const transport = transportFactory(config, captureLogger().logger).create(subscription);
  t.after(() => transport.close());
  return pipelineFixture(t, subscription, { transport });
}

interface FluentBitOtlpRecord {
  date: number;
  __internal__: { group_attributes: { resource: { attributes: Record<string, string> }; scope: { name: string } }; log_metadata: { otlp: { severity_number: number; severity_text: string; event_name: string; attributes: Record<string, string>; observed_timestamp: number } } };
  [member: string]: unknown;
}

for (const encoding of ['protobuf', 'json'] as const) {
  test(`Fluent Bit's in_opentelemetry decodes the ${encoding} request: one LogRecord per event, in order, with its time, severity, name, attributes, body and IdP`, async (t) => {
    const fluentBit = await startFluentBit('opentelemetry');
    t.after(() => fluentBit.stop());
    const { journal, pipeline, metrics } = await delivering(t, fluentBit.url, encoding);
    const real = [fixture('pingone-activity-application-updated.elastic.json'), fixture('pingone-activity-user-access-allowed.elastic.json')];
    const keycloak: ActivityEvent = { id: 'kc-1', recordedAt: '2026-12-07T10:15:00.250Z', action: { type: 'KEYCLOAK.ACCESS.LOGIN_ERROR', description: 'LOGIN_ERROR' }, actors: { user: { id: 'u-9', name: 'bob' } }, source: { ipAddress: '203.0.113.7', userAgent: 'curl/8' }, result: { status: 'FAILED', description: 'invalid_user_credentials' }, keycloak: { realmName: 'corp' } };
    // Past any window: six batches' worth.
    const burst = Array.from({ length: 600 }, (_, i): ActivityEvent => ({ ...real[i % 2]!, id: `burst-${i}` }));
    const expected = [...real, keycloak, ...burst];
    await pipeline.start();
    await journal.append('prod', batchOf([...real, keycloak]));
    for (let at = 0; at < burst.length; at += 200) await journal.append('prod', batchOf(burst.slice(at, at + 200)));
    await until(() => journal.stats().cursors.otel === expected.length, 20_000);
    await until(() => fluentBit.records().length >= expected.length, 10_000, 'Fluent Bit printed every record');

    const records = fluentBit.records() as FluentBitOtlpRecord[];
    assert.equal(records.length, expected.length, 'each event once');
    records.forEach((record, index) => {
      const event = expected[index]!;
      const { date, __internal__: meta, ...body } = record;
      // The body is the event after redaction: the user agent is not exposed.
      const redacted = event.source === undefined ? event : { ...event, source: { ipAddress: (event.source as { ipAddress: string }).ipAddress } };
      assert.deepEqual(body, JSON.parse(JSON.stringify(redacted)), 'the body is the event');
      assert.equal(date, Date.parse(event.recordedAt) / 1000, 'timeUnixNano is recordedAt');
      assert.equal(meta.log_metadata.otlp.event_name, event.action.type);
      assert.equal(meta.log_metadata.otlp.attributes['event.name'], event.action.type);
      assert.equal(meta.log_metadata.otlp.attributes['log.record.uid'], event.id);
      assert.equal(meta.group_attributes.scope.name, 'siem-gateway');
    });
    const kc = records[2]!.__internal__;
    assert.deepEqual(kc.group_attributes.resource.attributes, { 'service.name': 'keycloak' });
    assert.deepEqual([kc.log_metadata.otlp.severity_number, kc.log_metadata.otlp.severity_text], [13, 'WARN'], 'a failure is WARN');
    assert.deepEqual(kc.log_metadata.otlp.attributes, { 'event.name': 'KEYCLOAK.ACCESS.LOGIN_ERROR', 'log.record.uid': 'kc-1', 'user.id': 'u-9', 'user.name': 'bob', 'client.address': '203.0.113.7' }, 'the user agent is not exposed: no user_agent.original');
    const pingone = records[0]!.__internal__;
    assert.deepEqual(pingone.group_attributes.resource.attributes, { 'service.name': 'pingone' });
    assert.deepEqual([pingone.log_metadata.otlp.severity_number, pingone.log_metadata.otlp.severity_text], [9, 'INFO']);
    assert.deepEqual(pingone.log_metadata.otlp.attributes, { 'event.name': 'APPLICATION.UPDATED', 'log.record.uid': '123abc123-12ab-1234-1abc-abc123abc12', 'user.id': '123abc123-12ab-1234-1abc-abc123abc12', 'user.name': 'example@gmail.com' });
    assert.match(await metrics.registry.getSingleMetricAsString('siem_gateway_events_delivered_total'), new RegExp(`subscription="otel"\\} ${expected.length}$`, "m"));
  });
}

/** ExportLogsServiceResponse with partial_success set, as protobuf bytes (field numbers from logs_service.proto). */
function partialSuccessProtobuf(rejected: number, message: string): Buffer {
  const text = Buffer.from(message);
  const inner = Buffer.concat([Buffer.from([0x08, rejected]), Buffer.from([0x12, text.length]), text]);
  return Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
}

for (const encoding of ['protobuf', 'json'] as const) {
  test(`partial success (${encoding}): rejected records become dead letters with the receiver's message; an empty or zero answer delivers; an unreadable one is sent again`, async (t) => {
    const answers: ((events: number) => Buffer | string)[] = [
      () => '', // batch 1: an empty 200, everything accepted
      (events) => (encoding === 'json' ? JSON.stringify({ partialSuccess: { rejectedLogRecords: String(events), errorMessage: 'log records too old' } }) : partialSuccessProtobuf(events, 'log records too old')), // batch 2: all rejected
      () => (encoding === 'json' ? '{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"one body too large"}}' : partialSuccessProtobuf(1, 'one body too large')), // batch 3: one of three, unnamed
      () => (encoding === 'json' ? '{"partialSuccess":{}}' : partialSuccessProtobuf(0, 'warning: clock skew')), // batch 4: zero rejected, a warning
      () => (encoding === 'json' ? '{"partialSuccess":{"rejectedLogRecords":"9"}}' : Buffer.from([0x0a, 0x02, 0x08])), // batch 5: unreadable (more than sent / truncated)
    ];
    const sink = await HttpSink.start({
      handler: (request, index): SinkAnswer => {
        const count = encoding === 'json' ? (JSON.parse(request.body) as { resourceLogs: unknown[] }).resourceLogs.length : 3;
        const body = (answers[index] ?? (() => ''))(count);
        return { status: 200, headers: { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' }, body: body as string };
      },
    });
    t.after(() => sink.close());
    const { journal, pipeline, deadLettered, metrics } = await delivering(t, sink.url, encoding, 3);
    await pipeline.start();
    const event = (id: string): ActivityEvent => ({ id, recordedAt: '2026-12-07T10:15:00.000Z', action: { type: 'USER.UPDATED' } });
    for (const batch of ['a', 'b', 'c', 'd', 'e']) await journal.append('prod', batchOf([1, 2, 3].map((n) => event(`${batch}${n}`))));
    await until(() => journal.stats().cursors.otel === 15, 10_000);
    assert.equal(sink.requests.length, 6, 'the unreadable answer\'s request went again');
    const letters = deadLettered();
    assert.deepEqual(letters.map((letter) => letter.event.id), ['b1', 'b2', 'b3', 'c1', 'c2', 'c3']);
    assert.equal(letters[0]!.reason, 'refused by the destination: the receiver rejected all 3 log records: log records too old');
    assert.equal(letters[3]!.reason, 'refused by the destination: the receiver rejected 1 of the 3 log records in this request without saying which: one body too large');
    const scrape = await metrics.registry.getSingleMetricAsString('siem_gateway_events_delivered_total');
    assert.match(scrape, /subscription="otel"\} 9$/m, 'a, d and e delivered');
  });
}
