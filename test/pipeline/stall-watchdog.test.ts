// The stall watchdog: a subscription whose events wait while nothing happens (no attempt, no cursor
// move, no failure: the class of bug that made JetStream delivery look stuck) shows as `stalled` in
// its state and in siem_gateway_delivery_stalled, and is logged once, instead of staying silent.
// The stall is injected: a real file journal whose subscription reader never hands out a record.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import { FileJournal } from '../../src/backends/file/file-journal.js';
import { batchOf, type Journal, type JournalReader } from '../../src/contracts/journal.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { PipelineRegistry } from '../../src/pipeline/pipeline-registry.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { RecordingTransport } from '../helpers/recording-transport.js';
import { tempDirClosing } from '../helpers/temp-dir.js';

const subscriptions = parseConfigText(`environments: [ { id: prod } ]
auth: { tokens: [ { name: a, token: "ingest-token-0123456789", scopes: [ingest] } ] }
subscriptions:
  - { id: stuck, environment: prod, httpEndpoint: { url: "https://127.0.0.1:9/x" }, filterOptions: { includedActionTypes: ["*"] }, payloadOptions: { flushMs: 1000 }, delivery: { timeoutMs: 5000 } }
  - { id: idle, environment: prod, httpEndpoint: { url: "https://127.0.0.1:9/y" }, filterOptions: { includedActionTypes: ["NOTHING.EVER"] }, payloadOptions: { flushMs: 1000 }, delivery: { timeoutMs: 5000 } }
`, 'test.yaml').config.subscriptions;

/** A reader that never hands out anything, as a consumer that lost its pull would. */
const silentReader = (afterSeq: number): JournalReader => ({
  nextSeq: afterSeq + 1,
  read: (_max, signal) => new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true })),
  close: () => Promise.resolve(),
});

test('events waiting with nothing happening for 20 s past flushMs and the timeout: stalled, in the state, the metric and one log line', async (t) => {
  const { logger, lines } = captureLogger();
  let close: () => Promise<void> = () => Promise.resolve();
  const files = await FileJournal.open({ dir: tempDirClosing(t, () => close()), maxBytes: 1 << 30, maxAgeMs: 3_600_000, whenFull: 'reject', logger });
  const journal: Journal = Object.assign(Object.create(files) as FileJournal, { reader: (afterSeq: number, subscriptionId?: string) => (subscriptionId === 'stuck' ? silentReader(afterSeq) : files.reader(afterSeq, subscriptionId)) });
  const clock = new ManualClock();
  const metrics = new GatewayMetrics({ processMetrics: false });
  const registry = new PipelineRegistry({ journal, logger, metrics, clock, transports: { create: () => new RecordingTransport(), fingerprint: (subscription) => subscription.id, signingKey: () => undefined } });
  metrics.observeSubscriptions(() => registry.statuses());
  close = async () => {
    await registry.stopAll();
    await files.close();
  };
  await registry.apply(subscriptions);
  await files.append('prod', batchOf([{ id: 'e1', recordedAt: '2026-12-06T10:00:00Z', action: { type: 'USER.CREATED' } }]));
  const stalledGauge = async () => (await metrics.registry.metrics()).split('\n').find((line) => line.startsWith('siem_gateway_delivery_stalled{') && line.includes('subscription="stuck"'));

  assert.equal(registry.state('stuck'), 'ok');
  clock.advance(20_000 + 1_000 + 5_000 - 1);
  assert.equal(registry.state('stuck'), 'ok', 'not before 20 s past flushMs and the timeout');
  assert.match((await stalledGauge())!, / 0$/);
  clock.advance(2);
  assert.equal(registry.state('stuck'), 'stalled');
  assert.match((await stalledGauge())!, / 1$/);
  assert.equal(registry.state('idle'), 'ok', 'a subscription whose events are all filtered out is not stalled');
  assert.equal(registry.status('stuck').state, 'stalled');
  registry.state('stuck');
  assert.equal(lines.filter((line) => line.level === 50 && /subscription stuck is stalled: 1 events wait/.test(String(line.msg))).length, 1, 'logged once');
});
