// The journal's commit thread against real files: rounds land in order at the end of the file, a
// system error keeps its code (the journal's write health reads it), and a thread that stops fails
// the round it held while the next round starts a new one.
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CommitThread } from '../../src/backends/file/commit-thread.js';
import { FileJournal } from '../../src/backends/file/file-journal.js';
import { batchOf } from '../../src/contracts/journal.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A file opened `flags` (appending by default), and a commit thread; both closed after the test. */
function fileAndThread(t: TestContext, flags = 'a') {
  const file = join(tempDir(t), 'segment');
  if (flags === 'r') writeFileSync(file, '');
  const fd = openSync(file, flags);
  t.after(() => closeSync(fd));
  const thread = new CommitThread();
  t.after(() => thread.close());
  return { file, fd, thread };
}

test('rounds are appended in order, each written and synced before it resolves', async (t) => {
  const { file, fd, thread } = fileAndThread(t);
  const rounds = Array.from({ length: 200 }, (_, i) => [Buffer.from(`round ${i} `), Buffer.alloc(i * 97, 'x'), Buffer.from('|')]);
  await Promise.all(rounds.map((buffers) => thread.commit(fd, buffers, 1)));
  assert.equal(readFileSync(file).toString(), rounds.map((buffers) => Buffer.concat(buffers).toString()).join(''));
  const stats = thread.stats();
  assert.equal(stats.rounds, 200);
  assert.equal(stats.bytes, rounds.reduce((sum, buffers) => sum + Buffer.concat(buffers).length, 0));
  assert.ok(stats.syncSeconds > 0 && stats.writeSeconds > 0);
});

test('a system error is the system error, with its code', async (t) => {
  const { fd, thread } = fileAndThread(t, 'r');
  await assert.rejects(thread.commit(fd, [Buffer.from('x')], 1), (error: NodeJS.ErrnoException) => error.code === 'EBADF');
  // The thread survives its rounds' errors.
  const writable = openSync(join(tempDir(t), 'other'), 'a');
  t.after(() => closeSync(writable));
  await thread.commit(writable, [Buffer.from('ok')], 1);
});

test('a thread that stops fails the round it held; the next round starts another', async (t) => {
  const { file, fd, thread } = fileAndThread(t);
  await thread.commit(fd, [Buffer.from('first')], 1);
  // Rounds of 16 MiB take long enough to write and sync that the first is still held when the thread stops.
  const held = Array.from({ length: 3 }, () => thread.commit(fd, [Buffer.alloc(16 << 20)], 1));
  await new Promise((resolve) => setImmediate(resolve));
  await thread.close();
  const outcomes = await Promise.allSettled(held);
  assert.equal(outcomes[0]!.status, 'rejected', 'the round on the wire when the thread stopped failed');
  assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /commit thread stopped/);
  assert.deepEqual(outcomes.slice(1).map((outcome) => outcome.status), ['fulfilled', 'fulfilled'], 'the rounds after it went to a new thread');
  await thread.commit(fd, [Buffer.from('after')], 1);
  assert.ok(readFileSync(file).toString().endsWith('after'));
});

test('the journal counts its group commits', async (t) => {
  const { logger } = captureLogger();
  const journal = await FileJournal.open({ dir: tempDir(t), maxBytes: 1 << 30, maxAgeMs: 3_600_000, whenFull: 'reject', logger, onDrop: () => undefined });
  t.after(() => journal.close());
  const event = { id: 'a', recordedAt: '2026-11-23T10:00:00.000Z', action: { type: 'USER.CREATED' } };
  await Promise.all(Array.from({ length: 40 }, () => journal.append('prod', batchOf([event]))));
  const commits = journal.stats().commits!;
  assert.equal(commits.appends, 40);
  assert.ok(commits.rounds >= 1 && commits.rounds < 40, `40 appends at once share rounds (${commits.rounds})`);
  assert.ok(commits.bytes > 40 * JSON.stringify([event]).length);
  assert.ok(commits.syncSeconds > 0);
});
