// One pipeline per enabled subscription, following configuration changes without losing events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { FileJournal } from '../../src/backends/file/file-journal.js';
import { batchOf } from '../../src/contracts/journal.js';
import { PipelineRegistry } from '../../src/pipeline/pipeline-registry.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { until } from '../helpers/manual-clock.js';
import { RecordingTransport } from '../helpers/recording-transport.js';
import { tempDirClosing } from '../helpers/temp-dir.js';

const event = (id: string): ActivityEvent => ({ id, recordedAt: '2026-11-23T10:15:00Z', action: { type: 'USER.CREATED' } });

function subscriptions(entries: { id: string; environment: string; enabled?: boolean; types?: string }[]) {
  const text = `environments: [ { id: prod }, { id: dev } ]
auth: { tokens: [ { name: a, token: "ingest-token-0123456789", scopes: [ingest] } ] }
subscriptions:
${entries.map((e) => `  - { id: ${e.id}, environment: ${e.environment}, enabled: ${e.enabled ?? true}, httpEndpoint: { url: "https://127.0.0.1:9/x" }, filterOptions: { includedActionTypes: ["${e.types ?? '*'}"] }, payloadOptions: { flushMs: 0 } }\n`).join('')}`;
  return parseConfigText(text, 'test.yaml').config.subscriptions;
}

test('pipelines follow the configuration: start, isolate environments, suspend, resume, remove', async (t) => {
  const { logger } = captureLogger();
  let close: () => Promise<void> = () => Promise.resolve();
  const journal = await FileJournal.open({ dir: tempDirClosing(t, () => close()), maxBytes: 1 << 30, maxAgeMs: 3_600_000, whenFull: 'reject', logger });
  const transports = new Map<string, RecordingTransport>();
  const registry = new PipelineRegistry({
    journal,
    logger,
    transports: { create: (subscription) => transports.set(subscription.id, new RecordingTransport()).get(subscription.id)!, fingerprint: (subscription) => JSON.stringify(subscription), signingKey: () => undefined },
  });
  close = async () => {
    await registry.stopAll();
    await journal.close();
  };
  const ids = (id: string) => transports.get(id)!.batches.map((b) => `${b.firstEventId}..${b.lastEventId}`);

  await registry.apply(subscriptions([{ id: 'p', environment: 'prod' }, { id: 'd', environment: 'dev' }, { id: 'later', environment: 'prod', enabled: false }]));
  assert.deepEqual([registry.has('p'), registry.has('d'), registry.has('later')], [true, true, false]);
  await journal.append('prod', batchOf([event('p1')]));
  await journal.append('dev', batchOf([event('d1')]));
  await until(() => transports.get('p')!.batches.length === 1 && transports.get('d')!.batches.length === 1);
  assert.deepEqual([ids('p'), ids('d')], [['p1..p1'], ['d1..d1']]);

  // The suspended subscription's events wait in the journal; enabling it delivers them.
  await journal.append('prod', batchOf([event('p2')]));
  await until(() => transports.get('p')!.batches.length === 2);
  await registry.apply(subscriptions([{ id: 'p', environment: 'prod' }, { id: 'later', environment: 'prod' }]));
  assert.equal(registry.has('d'), false, 'removed');
  await until(() => (transports.get('later')?.batches.length ?? 0) >= 1);
  assert.deepEqual(transports.get('later')!.batches.flatMap((b) => [b.firstEventId, b.lastEventId]), ['p1', 'p2']);

  // A changed subscription restarts from its cursor: nothing lost, nothing sent twice.
  const before = transports.get('p')!;
  await registry.apply(subscriptions([{ id: 'p', environment: 'prod', types: 'USER.*' }, { id: 'later', environment: 'prod' }]));
  const after = transports.get('p')!;
  assert.notEqual(after, before);
  await journal.append('prod', batchOf([event('p3')]));
  await until(() => after.batches.length === 1);
  assert.deepEqual(ids('p'), ['p3..p3']);
});
