// A batch leaves at most flushMs after its first event became readable (injected clock), and a
// cursor that only passes filtered events still moves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { batchOf } from '../../src/contracts/journal.js';
import { ManualClock, until } from '../helpers/manual-clock.js';
import { pipelineFixture, subscriptionFrom } from '../helpers/pipeline-fixture.js';

const event = (id: string, type = 'USER.CREATED'): ActivityEvent => ({ id, recordedAt: '2026-11-23T10:15:00Z', action: { type } });

test('a partial batch leaves exactly flushMs after its first event', async (t) => {
  const clock = new ManualClock();
  const subscription = subscriptionFrom('    filterOptions: { includedActionTypes: ["USER.*"] }\n');
  const { journal, transport, pipeline } = await pipelineFixture(t, subscription, { clock });
  await pipeline.start();
  await journal.append('prod', batchOf([event('first')]));
  await until(() => clock.waiting === 1); // the pipeline holds the event and waits for more
  clock.advance(1500);
  await journal.append('prod', batchOf([event('second')]));
  await until(() => clock.waiting === 1 && transport.batches.length === 0);
  clock.advance(499);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(transport.batches.length, 0, 'not before 2000 ms');
  clock.advance(1);
  await transport.received(1);
  assert.deepEqual([transport.batches[0]!.firstEventId, transport.batches[0]!.lastEventId, transport.batches[0]!.events], ['first', 'second', 2]);

  // The next batch's deadline starts with its own first event.
  await journal.append('prod', batchOf([event('third')]));
  await until(() => clock.waiting === 1);
  clock.advance(1999);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(transport.batches.length, 1);
  clock.advance(1);
  await transport.received(2);
  assert.equal(transport.batches[1]!.firstEventId, 'third');
});

test('flushMs: 0 sends what one read returned at once', async (t) => {
  const clock = new ManualClock();
  const subscription = subscriptionFrom('    filterOptions: { includedActionTypes: ["*"] }\n    payloadOptions: { flushMs: 0 }\n');
  const { journal, transport, pipeline } = await pipelineFixture(t, subscription, { clock });
  await pipeline.start();
  await journal.append('prod', batchOf([event('a'), event('b')]));
  await transport.received(1);
  assert.equal(transport.batches[0]!.events, 2);
});

test('a cursor that only passes filtered events is saved within a second', async (t) => {
  const clock = new ManualClock();
  const subscription = subscriptionFrom('    filterOptions: { includedActionTypes: ["USER.*"] }\n');
  const { journal, transport, pipeline, metrics } = await pipelineFixture(t, subscription, { clock });
  await pipeline.start();
  await journal.append('prod', batchOf([event('g1', 'GROUP.CREATED'), event('g2', 'GROUP.UPDATED')]));
  await journal.append('dev', batchOf([event('d1')]));
  await until(() => clock.waiting === 1); // the pipeline has passed all three and waits to save its cursor
  assert.equal(journal.stats().cursors.sub, 0);
  clock.advance(1000);
  await until(() => journal.stats().cursors.sub === 3);
  assert.equal(transport.batches.length, 0);
  const filtered = await metrics.registry.getSingleMetricAsString('siem_gateway_events_filtered_total');
  assert.match(filtered, /siem_gateway_events_filtered_total\{environment="prod",subscription="sub"\} 2/, 'the dev event is not counted as filtered');
});

test('passing filtered events never moves the cursor past a batch still in flight', async (t) => {
  const clock = new ManualClock();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const sent: string[] = [];
  const transport = {
    async send(batch: { firstEventId: string }) {
      sent.push(batch.firstEventId);
      if (sent.length === 1) await held;
      return { ok: true, status: 200 };
    },
    close: () => Promise.resolve(),
  };
  const subscription = subscriptionFrom('    filterOptions: { includedActionTypes: ["USER.*"] }\n    payloadOptions: { flushMs: 0 }\n');
  const { journal, pipeline } = await pipelineFixture(t, subscription, { clock, transport: transport });
  await pipeline.start();
  await journal.append('prod', batchOf([event('u1')]));
  await until(() => sent.length === 1);
  await journal.append('prod', batchOf([event('g1', 'GROUP.CREATED'), event('g2', 'GROUP.CREATED')]));
  await until(() => clock.waiting === 1);
  clock.advance(1000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(journal.stats().cursors.sub, 0, 'u1 is not delivered yet');
  release();
  await until(() => journal.stats().cursors.sub === 3);
});
