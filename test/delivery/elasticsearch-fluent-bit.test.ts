// Format ELASTICSEARCH into a real _bulk receiver: Fluent Bit's in_elasticsearch reads the bulk
// body as Elasticsearch does (action line, then document) and prints each record with its action
// under @meta. Real PingOne events and a burst of many batches arrive each once, under the event's
// id and its day's index, as the ECS documents the formatter makes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ecsDocument } from '../../formats/elasticsearch-document.js';
import { parseConfigText } from '../../src/config/load-config.js';
import { batchOf } from '../../src/contracts/journal.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { transportFactory } from '../../src/pipeline/transport-factory.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { startFluentBit } from '../helpers/fluent-bit.js';
import { until } from '../helpers/manual-clock.js';
import { pipelineFixture } from '../helpers/pipeline-fixture.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../test/fixtures/idp/${name}`, import.meta.url), 'utf8')) as ActivityEvent;

test('Fluent Bit\'s in_elasticsearch takes the bulk body: every event once, under its id and its day\'s index, as its ECS document', async (t) => {
  const fluentBit = await startFluentBit('elasticsearch');
  t.after(() => fluentBit.stop());
  const text = `environments: [ { id: prod } ]
subscriptions:
  - id: es
    environment: prod
    format: ELASTICSEARCH
    startAt: earliest
    httpEndpoint: { url: "${fluentBit.url}/_bulk" }
    elasticsearch: { index: "pingone-audit-\${recordedAt:yyyy.MM}", pipeline: ecs-fixups }
    filterOptions: { includedActionTypes: ["*"], ipAddressExposed: true }
    payloadOptions: { flushMs: 0, maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 100 } }
`;
  const { config } = parseConfigText(text, 'test.yaml');
  const subscription = config.subscriptions[0]!;
  const transport = transportFactory(config, captureLogger().logger).create(subscription);
  t.after(() => transport.close());
  const { journal, pipeline, metrics } = await pipelineFixture(t, subscription, { transport });
  const real = [fixture('pingone-activity-application-updated.elastic.json'), fixture('pingone-activity-user-access-allowed.elastic.json')];
  // Past any window: 12 batches' worth.
  const burst = Array.from({ length: 1200 }, (_, i): ActivityEvent => ({ ...real[i % 2]!, id: `burst-${i}`, source: { ipAddress: '203.0.113.9', userAgent: 'never-sent' } }));
  await pipeline.start();
  await journal.append('prod', batchOf(real));
  for (let at = 0; at < burst.length; at += 200) await journal.append('prod', batchOf(burst.slice(at, at + 200)));
  await until(() => journal.stats().cursors.es === 1202, 20_000);
  await until(() => fluentBit.records().length >= 1202, 10_000, 'Fluent Bit printed every record');

  const records = fluentBit.records();
  assert.equal(records.length, 1202, 'each event once');
  const expected = [...real, ...burst];
  records.forEach((record, index) => {
    const event = expected[index]!;
    const { date: _date, '@meta': meta, ...document } = record;
    assert.deepEqual(meta, { create: { _index: `pingone-audit-${event.recordedAt.slice(0, 7).replace('-', '.')}`, _id: event.id, pipeline: 'ecs-fixups' } });
    // The user agent is not exposed: redaction removed it before the document was made.
    const { userAgent: _hidden, ...exposed } = (event.source ?? {}) as Record<string, unknown>;
    assert.deepEqual(document, JSON.parse(JSON.stringify(ecsDocument(event.source === undefined ? event : { ...event, source: exposed }))));
  });
  assert.equal((records[2]!.source as { ip: string }).ip, '203.0.113.9');
  assert.equal(records[2]!.user_agent, undefined);
  assert.match(await metrics.registry.getSingleMetricAsString('siem_gateway_events_delivered_total'), /subscription="es"\} 1202$/m);
});
