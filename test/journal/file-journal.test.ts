// The file journal against real files: order, durability across reopen, cursors, torn tails,
// retention by age and size, and both whenFull policies.
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { ActivityEvent, JournalRecord } from '../../src/event/activity-event.js';
import { FileJournal, type FileJournalOptions } from '../../src/backends/file/file-journal.js';
import { JournalFullError, batchOf, type DropReport } from '../../src/contracts/journal.js';
import { decodeBatch } from '../../src/backends/file/record-codec.js';
import { segmentHeaderBytes } from '../../src/backends/file/segment-file.js';
import { scanJson, type ScannedEvent } from '../../src/event/json-validator.js';
import { maxJsonDepth } from '../../src/event/validate-event.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/temp-dir.js';

const event = (id: string, size = 0): ActivityEvent => ({ id, recordedAt: '2026-11-23T10:00:00.000Z', action: { type: 'USER.CREATED' }, pad: 'x'.repeat(size) });

async function openJournal(t: TestContext, dir: string, options: Partial<FileJournalOptions> = {}) {
  const { logger, lines } = captureLogger();
  const drops: DropReport[] = [];
  const journal = await FileJournal.open({ dir, maxBytes: 1 << 30, maxAgeMs: 3_600_000, whenFull: 'reject', logger, onDrop: (d) => drops.push(d), ...options });
  t.after(() => journal.close());
  return { journal, lines, drops };
}

/** Every readable record after `afterSeq` (a read that finds nothing for 300 ms means no more: damage may leave seqs without events). */
async function readAll(journal: FileJournal, afterSeq = 0): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  const reader = journal.reader(afterSeq);
  const idle = new Error('idle');
  try {
    while (reader.nextSeq <= journal.stats().lastSeq) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(idle), 300);
      out.push(...(await reader.read(1000, controller.signal).finally(() => clearTimeout(timer))));
    }
  } catch (error) {
    if (error !== idle) throw error;
  }
  await reader.close();
  return out;
}

const ids = (records: JournalRecord[]) => records.map((r) => r.event.id);

describe('FileJournal', () => {
  test('appends in order and reads back from memory and, after reopening, from disk', async (t) => {
    const dir = tempDir(t);
    const first = await openJournal(t, dir, { segmentBytes: 4096 });
    const a = await first.journal.append('prod', batchOf([event('a1'), event('a2')]));
    const b = await first.journal.append('dev', batchOf([event('b1')]));
    assert.deepEqual([a, b], [{ firstSeq: 1, lastSeq: 2 }, { firstSeq: 3, lastSeq: 3 }]);
    for (let i = 0; i < 100; i++) await first.journal.append('prod', batchOf([event(`c${i}`, 100)]));
    const fromMemory = await readAll(first.journal);
    assert.deepEqual(ids(fromMemory).slice(0, 3), ['a1', 'a2', 'b1']);
    assert.deepEqual(fromMemory.map((r) => r.seq), Array.from({ length: 103 }, (_, i) => i + 1));
    assert.equal(fromMemory[2]!.environment, 'dev');
    await first.journal.close();
    assert.ok(readdirSync(join(dir, 'journal')).length > 3, 'several segments were written');

    const segmentFiles = () => readdirSync(join(dir, 'journal')).filter((name) => name.endsWith('.seg')).length;
    const written = segmentFiles();
    const second = await openJournal(t, dir, { segmentBytes: 4096 });
    assert.equal(segmentFiles(), written, 'a clean restart goes on in the newest segment');
    const fromDisk = await readAll(second.journal);
    const plain = (records: JournalRecord[]) => records.map((r) => ({ seq: r.seq, environment: r.environment, receivedAt: r.receivedAt, event: r.event }));
    assert.deepEqual(plain(fromDisk), plain(fromMemory));
    // Appends continue the sequence.
    assert.deepEqual(await second.journal.append('prod', batchOf([event('d1')])), { firstSeq: 104, lastSeq: 104 });
    // A reader starting in the middle of the backlog.
    assert.deepEqual(ids(await readAll(second.journal, 100)), ['c97', 'c98', 'c99', 'd1']);
  });

  test('keeps the raw JSON it was given, byte for byte', async (t) => {
    const dir = tempDir(t);
    const { journal } = await openJournal(t, dir);
    const raw = Buffer.from('{"id":"r1","recordedAt":"2026-11-23T10:00:00Z","action":{"type":"X"},"__proto__":{"polluted":1},"unknown":[1,2]}');
    await journal.append('prod', { count: 1, payload: { format: 'object', bytes: raw } });
    await journal.close();
    const reopened = await openJournal(t, dir);
    const [record] = await readAll(reopened.journal);
    assert.deepEqual(JSON.stringify(record!.event), raw.toString());
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('a waiting reader wakes on append and sees only durable records', async (t) => {
    const { journal } = await openJournal(t, tempDir(t));
    const reader = journal.reader(0);
    const waiting = reader.read(10);
    await journal.append('prod', batchOf([event('w1'), event('w2')]));
    assert.deepEqual(ids(await waiting), ['w1', 'w2']);
    const aborted = new AbortController();
    const pending = reader.read(10, aborted.signal);
    aborted.abort(new Error('stop'));
    await assert.rejects(pending, { message: 'stop' });
  });

  test('group commit: concurrent appends each resolve with their own contiguous seqs', async (t) => {
    const { journal } = await openJournal(t, tempDir(t));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => journal.append('prod', batchOf([event(`g${i}a`), event(`g${i}b`)]))));
    results.forEach((result, i) => assert.deepEqual(result, { firstSeq: 2 * i + 1, lastSeq: 2 * i + 2 }));
    const records = await readAll(journal);
    assert.deepEqual(ids(records), Array.from({ length: 50 }, (_, i) => [`g${i}a`, `g${i}b`]).flat());
  });

  test('cursors: latest, earliest and a time; persisted atomically; survive a restart', async (t) => {
    const dir = tempDir(t);
    let clock = 1_000_000;
    const first = await openJournal(t, dir, { now: () => clock });
    await first.journal.append('prod', batchOf([event('e1'), event('e2')]));
    clock = 2_000_000;
    await first.journal.append('prod', batchOf([event('e3')]));
    assert.equal(await first.journal.openCursor('latest', 'prod', { kind: 'latest' }), 3);
    assert.equal(await first.journal.openCursor('earliest', 'prod', { kind: 'earliest' }), 0);
    assert.equal(await first.journal.openCursor('since', 'prod', { kind: 'time', at: new Date(1_500_000) }), 2);
    await first.journal.commit('earliest', 2);
    await assert.rejects(first.journal.commit('earliest', 99), /past the journal end/);
    await assert.rejects(first.journal.commit('nobody', 1), /no open cursor/);
    await first.journal.close();
    assert.deepEqual(readdirSync(join(dir, 'cursors')).sort(), ['earliest.json', 'latest.json', 'since.json']);

    const second = await openJournal(t, dir);
    assert.equal(await second.journal.openCursor('earliest', 'prod', { kind: 'latest' }), 2, 'the stored cursor wins over startAt');
    assert.equal(await second.journal.openCursor('latest', 'prod', { kind: 'earliest' }), 3);
    assert.deepEqual(ids(await readAll(second.journal, 2)), ['e3']);
  });

  test('coalesced cursor commits all resolve, and the newest value is stored', async (t) => {
    const dir = tempDir(t);
    const { journal } = await openJournal(t, dir);
    await journal.append('prod', batchOf(Array.from({ length: 20 }, (_, i) => event(`k${i}`))));
    await journal.openCursor('s', 'prod', { kind: 'earliest' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => journal.commit('s', i + 1)));
    await journal.close();
    const reopened = await openJournal(t, dir);
    assert.equal(await reopened.journal.openCursor('s', 'prod', { kind: 'earliest' }), 20);
  });
});

describe('torn and corrupt tails', () => {
  async function writeThenDamage(t: TestContext, damage: (file: string) => void) {
    const dir = tempDir(t);
    const { journal } = await openJournal(t, dir);
    for (let i = 0; i < 10; i++) await journal.append('prod', batchOf([event(`t${i}`, 50)]));
    await journal.close();
    const [name] = readdirSync(join(dir, 'journal'));
    const file = join(dir, 'journal', name!);
    const before = statSync(file).size;
    damage(file);
    return { dir, file, before };
  }

  test('a record cut in the middle is truncated at start-up; the log names file and offset', async (t) => {
    const { dir, file, before } = await writeThenDamage(t, (f) => truncateSync(f, statSync(f).size - 40));
    const { journal, lines } = await openJournal(t, dir);
    const cut = lines.find((l) => String(l.msg).startsWith('journal: cut a torn record'));
    assert.ok(cut, 'a log line names the cut');
    const recordBytes = (before - 8) / 10;
    assert.equal(cut.file, file);
    assert.equal(cut.offset, 8 + 9 * recordBytes);
    assert.match(cut.msg, new RegExp(`at the end of ${file} at byte ${8 + 9 * recordBytes} \\(${recordBytes - 40} bytes removed\\)`));
    assert.deepEqual(ids(await readAll(journal)), ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8']);
    assert.equal(statSync(file).size, 8 + 9 * recordBytes);
    assert.deepEqual(await journal.append('prod', batchOf([event('after')])), { firstSeq: 10, lastSeq: 10 });
  });

  test('a few bytes of garbage after the last record (less than a record header) are cut as a torn tail', async (t) => {
    const { dir, file, before } = await writeThenDamage(t, (f) => appendFileSync(f, Buffer.from('ffffffff0000000000000000000000', 'hex')));
    const { journal, lines, drops } = await openJournal(t, dir);
    const cut = lines.find((l) => String(l.msg).startsWith('journal: cut a torn record'));
    assert.equal(cut?.offset, before);
    assert.equal(cut?.file, file);
    assert.equal((await readAll(journal)).length, 10);
    assert.deepEqual(await journal.append('prod', batchOf([event('after')])), { firstSeq: 11, lastSeq: 11 });
    assert.deepEqual(drops, []);
  });

  test('a flipped byte in the last record: its bytes are moved aside, its seq is never reused, and its loss is counted', async (t) => {
    const { dir, file, before } = await writeThenDamage(t, (f) => {
      const fd = openSync(f, 'r+');
      writeSync(fd, Buffer.from([0x5a]), 0, 1, statSync(f).size - 5);
      closeSync(fd);
    });
    const recordBytes = (before - 8) / 10;
    const { journal, lines, drops } = await openJournal(t, dir);
    const damage = lines.find((l) => String(l.msg).startsWith('journal: damaged bytes'));
    assert.ok(damage, 'the damage is logged');
    assert.deepEqual([damage.offset, damage.endOffset, damage.fromSeq, damage.toSeq, damage.reason], [before - recordBytes, before, 10, 10, 'checksum mismatch']);
    assert.equal(readFileSync(`${file}.${before - recordBytes}.corrupt`).length, recordBytes, 'the damaged bytes are saved aside');
    assert.equal(statSync(file).size, before - recordBytes);
    assert.equal((await readAll(journal)).length, 9);
    assert.deepEqual(await journal.append('prod', batchOf([event('after')])), { firstSeq: 11, lastSeq: 11 });
    // A subscription that had not delivered it is told, once, with its labels.
    await journal.openCursor('sub', 'prod', { kind: 'earliest' });
    await journal.openCursor('other', 'dev', { kind: 'earliest' });
    assert.deepEqual(drops.map((d) => [d.subscriptionId, d.environment, d.count, d.fromSeq, d.toSeq, d.reason]), [['sub', 'prod', 1, 10, 10, 'corrupt']]);
  });
});

describe('retention and whenFull', () => {
  test('segments older than maxAgeHours are deleted; a lagging subscription is told what it lost', async (t) => {
    let clock = 10_000_000;
    const { journal, drops, lines } = await openJournal(t, tempDir(t), { segmentBytes: 1024, maxAgeMs: 60_000, now: () => clock });
    await journal.openCursor('lagging', 'prod', { kind: 'earliest' });
    await journal.openCursor('other-env', 'dev', { kind: 'earliest' });
    for (let i = 0; i < 10; i++) await journal.append('prod', batchOf([event(`old${i}`, 200)]));
    clock += 120_000;
    await journal.append('prod', batchOf([event('new', 200)]));
    await journal.runMaintenance();
    const remaining = await readAll(journal);
    assert.ok(remaining.length < 11 && remaining.at(-1)!.event.id === 'new');
    const lost = 11 - remaining.length;
    assert.ok(drops.length > 0);
    for (const drop of drops) assert.deepEqual([drop.subscriptionId, drop.environment, drop.reason], ['lagging', 'prod', 'age']);
    assert.equal(drops.reduce((sum, d) => sum + d.count, 0), lost);
    assert.ok(lines.some((l) => String(l.msg).includes('retention (age) removed')));
    // The other environment's subscription lost none of its own events, so nothing is reported for it.
    assert.ok(!drops.some((d) => d.subscriptionId === 'other-env'));
  });

  test('whenFull reject: 503-style error when full, nothing accepted is lost, delivered segments make room', async (t) => {
    const { journal } = await openJournal(t, tempDir(t), { segmentBytes: 2048, maxBytes: 8192 });
    await journal.openCursor('sub', 'prod', { kind: 'earliest' });
    const accepted: string[] = [];
    let full: unknown;
    for (let i = 0; i < 100 && full === undefined; i++) {
      try {
        await journal.append('prod', batchOf([event(`f${i}`, 300)]));
        accepted.push(`f${i}`);
      } catch (error) {
        full = error;
      }
    }
    assert.ok(full instanceof JournalFullError);
    assert.equal(full.retryAfterSeconds, 5);
    assert.deepEqual(ids(await readAll(journal)), accepted);
    // Once the subscription has delivered everything, the next append fits again.
    await journal.commit('sub', journal.stats().lastSeq);
    await journal.append('prod', batchOf([event('fits-now', 300)]));
    assert.ok(journal.stats().bytes <= 8192 + 2048);
  });

  test('whenFull drop-oldest: the oldest segments go and every lost event is counted', async (t) => {
    const { journal, drops } = await openJournal(t, tempDir(t), { segmentBytes: 2048, maxBytes: 8192, whenFull: 'drop-oldest' });
    await journal.openCursor('sub', 'prod', { kind: 'earliest' });
    for (let i = 0; i < 60; i++) await journal.append('prod', batchOf([event(`d${i}`, 300)]));
    await journal.runMaintenance();
    const remaining = await readAll(journal);
    assert.equal(remaining.at(-1)!.event.id, 'd59');
    assert.ok(remaining.length < 60);
    assert.equal(drops.reduce((sum, d) => sum + d.count, 0), 60 - remaining.length);
    assert.ok(drops.every((d) => d.reason === 'size' && d.subscriptionId === 'sub'));
    assert.ok(journal.stats().bytes <= 8192 + 2048);
  });
});

test('drop-oldest counts exactly: events a reader already holds are delivered, not counted as lost', async (t) => {
  const { journal, drops } = await openJournal(t, tempDir(t), { segmentBytes: 2048, maxBytes: 8192, whenFull: 'drop-oldest', tailBytes: 0 });
  await journal.openCursor('sub', 'prod', { kind: 'earliest' });
  for (let i = 0; i < 30; i++) await journal.append('prod', batchOf([event(`e${i}`, 300)]));
  // The subscription's reader takes the first 12 events (read into memory, not yet delivered).
  const reader = journal.reader(0, 'sub');
  const read: JournalRecord[] = [];
  while (read.length < 12) read.push(...(await reader.read(12 - read.length)));
  for (let i = 30; i < 90; i++) await journal.append('prod', batchOf([event(`e${i}`, 300)]));
  await journal.runMaintenance();
  while (reader.nextSeq <= journal.stats().lastSeq) read.push(...(await reader.read(1000)));
  await reader.close();
  const dropped = drops.reduce((sum, d) => sum + d.count, 0);
  assert.ok(dropped > 0, 'the size limit dropped events');
  assert.equal(read.length + dropped, 90, `${read.length} read + ${dropped} counted as dropped`);
  assert.equal(new Set(ids(read)).size, read.length);
});

test('a cursor past the journal end is moved back and written at once; an unparsable cursor file resumes from the oldest event', async (t) => {
  const dir = tempDir(t);
  const { journal, lines } = await openJournal(t, dir);
  for (let i = 0; i < 10; i++) await journal.append('prod', batchOf([event(`c${i}`)]));
  const cursorFile = (id: string) => join(dir, 'cursors', `${id}.json`);
  writeFileSync(cursorFile('ahead'), '{"seq":5000}\n');
  writeFileSync(cursorFile('garbled'), '{"seq":12,');
  assert.equal(await journal.openCursor('ahead', 'prod', { kind: 'latest' }), 10);
  assert.equal((JSON.parse(readFileSync(cursorFile('ahead'), 'utf8')) as { seq: number }).seq, 10, 'written back before any delivery');
  assert.equal(await journal.openCursor('garbled', 'prod', { kind: 'latest' }), 0);
  assert.equal((JSON.parse(readFileSync(cursorFile('garbled'), 'utf8')) as { seq: number }).seq, 0);
  const logged = lines.find((l) => l.subscription === 'garbled');
  assert.match(String(logged?.msg), /cursor file .*garbled\.json is unreadable or malformed; subscription garbled resumes from the oldest retained event \(seq 1\)/);
});

test('opening a cursor that is already open gives the value in memory, not the file', async (t) => {
  const dir = tempDir(t);
  const { journal } = await openJournal(t, dir);
  await journal.append('prod', batchOf([event('o1'), event('o2'), event('o3')]));
  assert.equal(await journal.openCursor('s', 'prod', { kind: 'earliest' }), 0);
  const saving = journal.commit('s', 3); // the file write is still under way
  assert.equal(await journal.openCursor('s', 'prod', { kind: 'earliest' }), 3);
  await saving;
});

describe('the stored ingest scan', () => {
  const body = Buffer.from(JSON.stringify([event('s1'), { ...event('s2'), source: { ipAddress: '10.0.0.1' } }, event('s3')]));
  const scannedOf = (bytes: Buffer) => {
    const found: ScannedEvent[] = [];
    assert.equal(scanJson(bytes, maxJsonDepth, 0, found).kind, 'ok');
    return found;
  };
  const segmentRecords = (dir: string) => {
    const name = readdirSync(join(dir, 'journal')).find((file) => file.endsWith('.seg'))!;
    const bytes = readFileSync(join(dir, 'journal', name));
    const batches = [];
    for (let offset = segmentHeaderBytes; offset < bytes.length; ) {
      const decoded = decodeBatch(bytes, offset);
      assert.equal(decoded.kind, 'batch');
      if (decoded.kind !== 'batch') break;
      batches.push(decoded.batch);
      offset += decoded.batch.size;
    }
    return batches;
  };

  test('a JSON body is stored with its scan, checksummed with it; NDJSON and scan-less batches without', async (t) => {
    const dir = tempDir(t);
    const { journal } = await openJournal(t, dir);
    await journal.append('prod', { count: 3, payload: { format: 'array', bytes: body }, scanned: scannedOf(body) });
    await journal.append('prod', { count: 1, payload: { format: 'ndjson', bytes: Buffer.from(`${JSON.stringify(event('n1'))}\n`) } });
    await journal.append('prod', batchOf([event('o1')]));
    await journal.close();
    const [scanned, ndjson, older] = segmentRecords(dir);
    assert.equal(scanned!.storedScan?.length, 3 * 48);
    assert.deepEqual(scanned!.payload, body, 'the payload is the body, byte for byte, the scan after it');
    assert.equal(ndjson!.storedScan, undefined);
    assert.equal(older!.storedScan, undefined);
    // A byte of the scan flipped is damage like any other: the checksum covers it.
    const name = readdirSync(join(dir, 'journal')).find((file) => file.endsWith('.seg'))!;
    const bytes = readFileSync(join(dir, 'journal', name));
    const scanAt = segmentHeaderBytes + scanned!.size - 10;
    bytes[scanAt] = bytes[scanAt]! ^ 0xff;
    assert.deepEqual(decodeBatch(bytes, segmentHeaderBytes), { kind: 'corrupt', reason: 'checksum mismatch' });
  });

  test('a reader behind the memory tail takes where each event sits from the stored scan, without scanning again', async (t) => {
    const dir = tempDir(t);
    const first = await openJournal(t, dir);
    // The stored scan says where s2's recordedAt is: pointed at s1's (which differs), the reader on
    // disk shows s1's value, which only a reader using the stored scan (not one scanning) can.
    const different = Buffer.from(body.toString().replace('"s1","recordedAt":"2026-11-23T10:00:00.000Z"', '"s1","recordedAt":"2026-11-23T09:00:00.000Z"'));
    const scannedDifferent = scannedOf(different);
    scannedDifferent[1]!.recordedAt = { ...scannedDifferent[1]!.recordedAt!, start: different.indexOf('2026-11-23T09'), end: different.indexOf('2026-11-23T09') + 24 };
    await first.journal.append('prod', { count: 3, payload: { format: 'array', bytes: different }, scanned: scannedDifferent });
    await first.journal.append('prod', { count: 1, payload: { format: 'object', bytes: Buffer.from(JSON.stringify(event('o1'))) } });
    await first.journal.close();
    const second = await openJournal(t, dir);
    const records = await readAll(second.journal);
    assert.deepEqual(records.map((record) => record.event.id), ['s1', 's2', 's3', 'o1']);
    assert.deepEqual(records.map((record) => record.raw?.recordedAt), ['2026-11-23T09:00:00.000Z', '2026-11-23T09:00:00.000Z', '2026-11-23T10:00:00.000Z', '2026-11-23T10:00:00.000Z']);
    assert.equal(records[1]!.raw!.source?.valueStart, different.indexOf('{"ipAddress"'));
  });
});
