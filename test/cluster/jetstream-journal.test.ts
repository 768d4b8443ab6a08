// The Journal contract over a real nats-server with JetStream: what the file journal promises,
// the JetStream journal keeps (dedupe by event id, cursors as durable consumers, in-order resumption
// from the acknowledged position, retention that counts every loss).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { batchOf, JournalFullError, type DropReport } from '../../src/contracts/journal.js';
import type { JournalRecord } from '../../src/event/activity-event.js';
import { JetStreamJournal } from '../../src/backends/jetstream/jetstream-journal.js';
import { NatsLink } from '../../src/backends/jetstream/nats-connection.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { NatsServer } from '../helpers/nats-server.js';

const event = (id: string, type = 'USER.CREATED') => ({ id, recordedAt: '2026-12-02T10:00:00.000Z', action: { type } });
let server: NatsServer;
let dir: string;
let streams = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'siem-gateway-nats-'));
  server = await NatsServer.start(dir);
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A journal on a stream of its own; `maxMB` small for the retention tests. */
async function openJournal(options: { stream?: string; maxMB?: number; whenFull?: 'reject' | 'drop-oldest'; drops?: DropReport[] } = {}) {
  const { logger, lines } = captureLogger('debug');
  const link = await NatsLink.open({ servers: [server.url], stream: options.stream ?? `t${++streams}`, replicas: 1, leaseTtlSeconds: 10, processName: 'test' }, logger);
  const journal = await JetStreamJournal.open({ link, maxBytes: (options.maxMB ?? 64) * 1024 * 1024, maxAgeMs: 3_600_000, whenFull: options.whenFull ?? 'reject', logger, onDrop: (drop) => options.drops?.push(drop) });
  return { journal, link, lines, close: async () => {
    await journal.close();
    await link.close();
  } };
}

test('an IdP webhook retry (deduplicate) is stored once and counted; the events API stores a repeated id again; a reader gets the client\'s events in order with their environment', async () => {
  const { journal, close } = await openJournal();
  try {
    await journal.openCursor('all', 'prod', { kind: 'earliest' });
    const first = await journal.append('prod', { ...batchOf([event('a'), event('b')]), deduplicate: true });
    const retry = await journal.append('prod', { ...batchOf([event('b'), event('c')]), deduplicate: true });
    await journal.append('dev.eu', batchOf([event('x')]));
    const again = await journal.append('prod', batchOf([event('a')]));
    assert.ok(first.lastSeq > first.firstSeq);
    assert.equal(first.duplicates, 0);
    assert.equal(retry.duplicates, 1, 'the retried event b is counted, not stored again');
    assert.equal(again.duplicates, 0, 'the events API stores every event it accepts');
    const reader = journal.reader(0, 'all');
    const records: JournalRecord[] = [];
    while (records.length < 4) records.push(...(await reader.read(10, AbortSignal.timeout(5_000))));
    assert.deepEqual(records.map((record) => [record.event.id, record.environment]), [['a', 'prod'], ['b', 'prod'], ['c', 'prod'], ['a', 'prod']]);
    assert.ok(records.every((record) => record.receivedAt > Date.now() - 60_000));
    await reader.close();
  } finally {
    await close();
  }
});

test('a new subscription starts at the end; a reopened one resumes after its acknowledged position, unacknowledged ones again and in order', async () => {
  const stream = `t${++streams}`;
  let opened = await openJournal({ stream });
  await opened.journal.append('prod', batchOf([event('old')]));
  const cursor = await opened.journal.openCursor('s', 'prod', { kind: 'latest' });
  await opened.journal.append('prod', batchOf(Array.from({ length: 10 }, (_, i) => event(`e${i}`))));
  const reader = opened.journal.reader(cursor, 's');
  const got: string[] = [];
  while (got.length < 10) for (const record of await reader.read(3, AbortSignal.timeout(5_000))) got.push(record.event.id);
  assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `e${i}`), 'not the event from before it existed');
  // Delivered e0..e3 only; the process goes away with e4..e9 handed out but not acknowledged.
  await opened.journal.commit('s', cursor + 4);
  await opened.close();

  opened = await openJournal({ stream });
  try {
    const resumed = await opened.journal.openCursor('s', 'prod', { kind: 'latest' });
    assert.equal(resumed, cursor + 4);
    const again = opened.journal.reader(resumed, 's');
    const rest: string[] = [];
    while (rest.length < 6) for (const record of await again.read(10, AbortSignal.timeout(5_000))) rest.push(record.event.id);
    assert.deepEqual(rest, ['e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
    await again.close();
  } finally {
    await opened.close();
  }
});

test('full with whenFull reject: the append is refused and nothing is removed', async () => {
  const { journal, close } = await openJournal({ maxMB: 1, whenFull: 'reject' });
  try {
    const big = (i: number) => ({ ...event(`big-${i}`), pad: 'x'.repeat(60_000) });
    let refused: unknown;
    for (let i = 0; i < 40 && refused === undefined; i++) await journal.append('prod', batchOf([big(i)])).catch((error: unknown) => (refused = error));
    assert.ok(refused instanceof JournalFullError, `expected JournalFullError, got ${String(refused)}`);
    await journal.openCursor('late', 'prod', { kind: 'earliest' });
    const reader = journal.reader(0, 'late');
    assert.equal((await reader.read(1, AbortSignal.timeout(5_000)))[0]!.event.id, 'big-0', 'the oldest event is still there');
    await reader.close();
  } finally {
    await close();
  }
});

test('full with drop-oldest: the oldest events go, and each subscription that had not delivered them counts exactly its loss', async () => {
  const drops: DropReport[] = [];
  const { journal, close, lines } = await openJournal({ maxMB: 1, whenFull: 'drop-oldest', drops });
  try {
    await journal.openCursor('lagging', 'prod', { kind: 'earliest' });
    await journal.openCursor('other-env', 'dev', { kind: 'earliest' });
    const big = (i: number) => ({ ...event(`big-${i}`), pad: 'x'.repeat(60_000) });
    for (let i = 0; i < 30; i++) await journal.append('prod', batchOf([big(i)]));
    const lost = drops.filter((drop) => drop.subscriptionId === 'lagging').reduce((sum, drop) => sum + drop.count, 0);
    const firstSeq = journal.stats().firstSeq;
    assert.ok(lost > 0, 'something was dropped');
    assert.equal(drops.filter((drop) => drop.subscriptionId === 'other-env').length, 0, 'a subscription of another environment lost nothing');
    assert.ok(lines.some((line) => line.subscription === 'lagging' && /had not delivered/.test(line.msg)));
    const reader = journal.reader(0, 'lagging');
    const [next] = await reader.read(1, AbortSignal.timeout(5_000));
    assert.equal(next!.seq, firstSeq, 'the subscription goes on from the oldest event left');
    assert.equal(lost, Number(next!.event.id.slice('big-'.length)), 'every removed prod event (big-0 up to the first left) is counted once against the lagging subscription');
    await reader.close();
  } finally {
    await close();
  }
});

test('a request larger than a message is cut into messages at event boundaries; subscription and replay readers get every event in order, with increasing seqs', async () => {
  const { journal, close } = await openJournal();
  try {
    await journal.openCursor('all', 'prod', { kind: 'earliest' });
    const events = Array.from({ length: 2_500 }, (_, i) => ({ ...event(`large-${i}`), pad: 'y'.repeat(600) }));
    assert.ok(Buffer.byteLength(JSON.stringify(events)) > 1_400_000, 'more than a message holds');
    const appended = await journal.append('prod', batchOf(events));
    await journal.append('prod', batchOf([event('after')]));
    for (const reader of [journal.reader(0, 'all'), journal.reader(0)]) {
      const records: JournalRecord[] = [];
      while (records.length < events.length + 1) records.push(...(await reader.read(700, AbortSignal.timeout(5_000))));
      assert.deepEqual(records.map((record) => record.event.id), [...events.map((item) => item.id), 'after']);
      assert.ok(records.every((record, i) => i === 0 || record.seq > records[i - 1]!.seq), 'seqs increase');
      assert.equal(records[0]!.seq, appended.firstSeq);
      assert.equal(records[events.length - 1]!.seq, appended.lastSeq);
      await reader.close();
    }
  } finally {
    await close();
  }
});
