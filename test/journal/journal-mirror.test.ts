// The delivery thread's view of the journal, fed by a real FileJournal as the thread is fed: every
// durable batch (copied, its ingest scan packed) and every segment change. Its readers must see
// exactly what a reader of the journal itself sees, from its memory tail and from the segment files.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { JournalRecord } from '../../src/event/activity-event.js';
import { scanJson, type ScannedEvent } from '../../src/event/json-validator.js';
import { maxJsonDepth } from '../../src/event/validate-event.js';
import { FileJournal } from '../../src/backends/file/file-journal.js';
import { JournalMirror, mirroredBatch } from '../../src/backends/file/journal-mirror.js';
import { batchOf, type AppendBatch, type DropReport, type JournalReader } from '../../src/contracts/journal.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/temp-dir.js';
import { compactBytes } from '../../src/util/compact-bytes.js';

/** A batch as ingest appends it: the client's bytes and their scan. */
function scannedBatch(events: object[]): AppendBatch {
  const bytes = Buffer.from(JSON.stringify(events));
  const scanned: ScannedEvent[] = [];
  const result = scanJson(bytes, maxJsonDepth, 0, scanned);
  assert.equal(result.kind, 'ok');
  return { count: events.length, payload: { format: 'array', bytes }, scanned };
}

const event = (id: string, i: number) => ({ id, recordedAt: `2026-11-23T10:00:${String(i % 60).padStart(2, '0')}.000Z`, action: { type: i % 3 === 0 ? 'USER.DELETED' : 'USER.CREATED' }, ...(i % 2 === 0 ? { source: { ipAddress: '203.0.113.9' } } : {}), pad: 'é'.repeat(40) });

async function readAll(reader: JournalReader, lastSeq: number): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  while (reader.nextSeq <= lastSeq) out.push(...(await reader.read(500)));
  await reader.close();
  return out;
}

/** What a pipeline reads of a record: its place, its bytes and what was taken from them without parsing. */
const view = (record: JournalRecord) => ({
  seq: record.seq,
  environment: record.environment,
  receivedAt: record.receivedAt,
  event: record.event,
  raw: record.raw === undefined ? undefined : { json: record.raw.bytes.toString('utf8', record.raw.start, record.raw.end), actionType: record.raw.actionType, recordedAt: record.raw.recordedAt, source: record.raw.source === undefined ? undefined : record.raw.bytes.toString('utf8', record.raw.source.valueStart, record.raw.source.valueEnd), spliceable: record.raw.spliceable },
});

async function mirrored(t: TestContext, options: { segmentBytes: number; mirrorTailBytes: number; maxBytes?: number }) {
  const { logger } = captureLogger();
  const drops: DropReport[] = [];
  const journal = await FileJournal.open({ dir: tempDir(t), maxBytes: options.maxBytes ?? 1 << 30, maxAgeMs: 3_600_000, whenFull: 'drop-oldest', segmentBytes: options.segmentBytes, logger, onDrop: (drop) => drops.push(drop) });
  t.after(() => journal.close());
  const held: [string, number][] = [];
  const commits: [string, number][] = [];
  const start = journal.follow({
    // Through structuredClone, as postMessage does it.
    durable: (tails, bytes) => mirror.received(structuredClone(tails.map(mirroredBatch)), bytes),
    segments: (segments) => mirror.segmentsChanged(structuredClone(segments)),
  });
  const mirror: JournalMirror = new JournalMirror(
    {
      openCursor: (id, environment, startAt) => journal.openCursor(id, environment, startAt),
      commit: async (id, upTo) => {
        commits.push([id, upTo]);
        await journal.commit(id, upTo);
      },
      releaseCursor: (id) => journal.releaseCursor(id),
      reportDamage: (damage, id, fromSeq) => journal.reportDamage(damage, id, fromSeq),
      noteHeld: (id, seq) => {
        held.push([id, seq]);
        journal.noteHeld(id, seq);
      },
    },
    structuredClone(start),
    options.mirrorTailBytes,
  );
  return { journal, mirror, held, commits, drops };
}

test('a mirror reader sees what a journal reader sees: from its tail and, past it, from the segment files across rolls', async (t) => {
  const { journal, mirror, held, commits } = await mirrored(t, { segmentBytes: 64 * 1024, mirrorTailBytes: 32 * 1024 });
  let n = 0;
  for (let b = 0; b < 120; b++) {
    const events = Array.from({ length: 10 }, () => event(`e${n}`, n++));
    // Normalised webhook events come without a scan (the mirror's reader scans them); ingest's with one.
    await journal.append(b % 5 === 4 ? 'dev' : 'prod', b % 7 === 3 ? batchOf(events) : scannedBatch(events));
  }
  const lastSeq = journal.stats().lastSeq;
  assert.equal(lastSeq, 1200);
  assert.equal(mirror.durableSeq, 1200);
  assert.ok(journal.stats().segments >= 4, `${journal.stats().segments} segments`);
  assert.equal(mirror.stats().segments, journal.stats().segments);
  // While the mirror follows, the owner keeps no tail of its own: its readers go to the files.
  assert.equal(journal.tail.firstSeq, Number.POSITIVE_INFINITY);

  const fromJournal = await readAll(journal.reader(0), lastSeq);
  assert.equal(await mirror.openCursor('s', 'prod', { kind: 'earliest' }), 0);
  const fromMirror = await readAll(mirror.reader(0, 's'), lastSeq);
  assert.equal(fromMirror.length, 1200);
  // Batches stored from objects (webhooks) reach the journal's own readers as those objects; the
  // mirror gets their bytes alone and scans them, so its records always carry the raw view.
  assert.ok(fromMirror.every((record) => record.raw !== undefined));
  assert.deepEqual(
    fromMirror.map((record, i) => ({ ...view(record), raw: fromJournal[i]!.raw === undefined ? undefined : view(record).raw })),
    fromJournal.map(view),
  );
  // The owner learns what the reader holds, and takes the cursor.
  assert.equal(held.at(-1)?.[1], 1200);
  await mirror.commit('s', 1200);
  assert.deepEqual(commits, [['s', 1200]]);
  assert.equal(journal.stats().cursors.s, 1200);
  assert.equal(mirror.stats().cursors.s, 1200);
  // Unfollowed (the thread stopped, delivery came back here), the owner keeps its tail again.
  journal.follow(undefined);
  await journal.append('prod', scannedBatch([event('after', 0)]));
  assert.equal(journal.tail.firstSeq, 1201);
});

test('a mirror reader waits for the next durable batch, follows retention deleting segments, and what it holds is not counted as dropped', async (t) => {
  const { journal, mirror, drops } = await mirrored(t, { segmentBytes: 32 * 1024, mirrorTailBytes: 16 * 1024, maxBytes: 160 * 1024 });
  await mirror.openCursor('s', 'prod', { kind: 'earliest' });
  await mirror.openCursor('unread', 'prod', { kind: 'earliest' });
  const reader = mirror.reader(0, 's');
  const waiting = reader.read(100);
  await journal.append('prod', scannedBatch([event('w0', 0), event('w1', 1)]));
  assert.deepEqual((await waiting).map((record) => record.event.id), ['w0', 'w1']);
  // Far past maxMB with drop-oldest; the mirror's reader keeps up, neither cursor moves.
  let n = 0;
  let read = 0;
  for (let b = 0; b < 100; b++) {
    await journal.append('prod', scannedBatch(Array.from({ length: 10 }, () => event(`r${n}`, n++))));
    read += (await reader.read(100)).length;
  }
  assert.equal(read, 1000);
  await journal.runMaintenance();
  assert.ok(journal.stats().firstSeq > 3, `first seq ${journal.stats().firstSeq}`);
  assert.equal(mirror.firstAvailableSeq, journal.stats().firstSeq);
  assert.equal(mirror.stats().segments, journal.stats().segments);
  // The reader in the other thread holds what retention removed: delivered, not dropped. The
  // cursor without a reader lost every event of the removed segments.
  assert.deepEqual(drops.filter((drop) => drop.subscriptionId === 's'), []);
  assert.equal(drops.filter((drop) => drop.subscriptionId === 'unread').reduce((sum, drop) => sum + drop.count, 0), journal.stats().firstSeq - 1);
});

test('bytes cross threads compact: a view of a pool is copied out, a whole buffer goes as it is', () => {
  const pooled = Buffer.from('a small header');
  assert.ok(pooled.buffer.byteLength > pooled.length, 'Node pools small Buffers');
  const compact = compactBytes(pooled);
  assert.equal(compact.buffer.byteLength, pooled.length);
  assert.deepEqual(Buffer.from(compact), pooled);
  const whole = Buffer.allocUnsafeSlow(5000);
  assert.equal(compactBytes(whole), whole);
});
