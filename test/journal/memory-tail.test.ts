// The memory tail: what a caught-up reader gets without the disk. Records of its newest batches are
// made once and shared by every reader; further back each read makes its own, so nothing the tail
// holds for long is a graph of objects (they outlived young collections and died in full ones).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryTail, sharedRecordEvents, type TailBatch } from '../../src/backends/file/memory-tail.js';
import { scanJson, type ScannedEvent } from '../../src/event/json-validator.js';
import { packScan } from '../../src/event/packed-scan.js';
import { maxJsonDepth } from '../../src/event/validate-event.js';

const perBatch = 64;

/** Batch n: `perBatch` events with seqs n*perBatch+1…, as the journal holds it (payload and packed scan). */
function batch(n: number): TailBatch {
  const events = Array.from({ length: perBatch }, (_, i) => ({ id: `e${n * perBatch + i}`, recordedAt: '2026-11-23T10:00:00.000Z', action: { type: 'USER.UPDATED' }, source: { ipAddress: '203.0.113.9', city: 'Lyon' } }));
  const payload = Buffer.from(JSON.stringify(events));
  const scanned: ScannedEvent[] = [];
  assert.equal(scanJson(payload, maxJsonDepth, 0, scanned).kind, 'ok');
  return { firstSeq: n * perBatch + 1, count: perBatch, environment: 'prod', receivedAt: n, format: 'array', payload, packedScan: packScan(scanned) };
}

test('the newest batches share their records; older ones are made per read, equal and not kept', () => {
  const tail = new MemoryTail(1 << 30);
  const batches = Array.from({ length: (4 * sharedRecordEvents) / perBatch }, (_, n) => batch(n));
  for (const b of batches) tail.push(b);
  const newestSeq = batches.at(-1)!.firstSeq;
  assert.equal(tail.read(newestSeq, perBatch)[0], tail.read(newestSeq, perBatch)[0], 'a new batch is read once and shared');
  assert.ok(batches.at(-1)!.records !== undefined);

  const oldSeq = batches[0]!.firstSeq;
  const first = tail.read(oldSeq, perBatch);
  const second = tail.read(oldSeq, perBatch);
  assert.notEqual(first[0], second[0], 'an old batch makes its records per read');
  assert.equal(batches[0]!.records, undefined, 'and does not keep them');
  assert.deepEqual(first.map((r) => [r.seq, r.event.id, r.raw!.actionType, r.raw!.recordedAt]), second.map((r) => [r.seq, r.event.id, r.raw!.actionType, r.raw!.recordedAt]));
  assert.deepEqual(first.map((r) => r.event.id), Array.from({ length: perBatch }, (_, i) => `e${i}`));

  // A batch read while new keeps its records only until it leaves the newest events.
  const kept = batches.filter((b) => b.records !== undefined).reduce((sum, b) => sum + b.count, 0);
  assert.ok(kept <= sharedRecordEvents, `${kept} events' records kept`);
  for (let n = batches.length; n < batches.length + sharedRecordEvents / perBatch + 1; n++) tail.push(batch(n));
  assert.equal(batches.at(-1)!.records, undefined);
});

test('a tail smaller than the shared window evicts past it and still reads every batch it holds', () => {
  const one = batch(0).payload.length;
  const tail = new MemoryTail(3 * one);
  for (let n = 0; n < 3000; n++) {
    tail.push(batch(n));
    const records = tail.read(n * perBatch + 1, 2 * perBatch);
    assert.equal(records.length, perBatch);
    assert.equal(records[0]!.event.id, `e${n * perBatch}`);
  }
  assert.ok(tail.firstSeq > 2996 * perBatch, 'the tail holds only the newest batches');
  assert.equal(tail.read(1, 10).length, 0, 'an evicted seq is not held');
});
