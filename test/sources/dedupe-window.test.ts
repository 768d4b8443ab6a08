// The dedupe window's file: a save that fails (its directory replaced by a file) is reported once
// and fails nothing; once the directory is back, the next save writes the whole window, and a
// new window read from it (a restart) still knows every id.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DedupeWindow } from '../../src/sources/dedupe-window.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Claims `ids`, stores them (settles), and saves, as the source route does. */
function add(window: DedupeWindow, ids: string[], now: number): Promise<void> {
  const claim = window.claim(ids, now);
  window.settle(claim);
  return window.save(claim.fresh, now);
}

test('a failed save is reported once, fails nothing, and does not stop later saves', async (t) => {
  const root = tempDir(t);
  const dir = join(root, 'sources');
  mkdirSync(dir);
  const file = join(dir, 'kc.dedupe.json');
  const errors: Error[] = [];
  const window = new DedupeWindow(file, 600_000, 1_000, (error) => errors.push(error));
  await add(window, ['a'], 1_000);

  // The directory is replaced by a file: saves fail with ENOTDIR.
  renameSync(dir, join(root, 'sources.saved'));
  writeFileSync(dir, 'not a directory');
  await add(window, ['b'], 2_000);
  await add(window, ['c'], 3_000);
  assert.equal(errors.length, 1, 'reported once for the run of failures');
  assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOTDIR');
  assert.ok(window.has('b', 3_000) && window.has('c', 3_000), 'still recognised in memory');

  // Back: the next save writes everything, and a restart reads it all.
  rmSync(dir);
  renameSync(join(root, 'sources.saved'), dir);
  await add(window, ['d'], 4_000);
  const restarted = new DedupeWindow(file, 600_000, 5_000);
  for (const id of ['a', 'b', 'c', 'd']) assert.ok(restarted.has(id, 5_000), `${id} survives the restart`);
  assert.deepEqual(readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => (JSON.parse(line) as [string, number])[0]), ['a', 'b', 'c', 'd']);

  // A second run of failures is reported again.
  renameSync(dir, join(root, 'sources.saved'));
  writeFileSync(dir, 'not a directory');
  await add(window, ['e'], 6_000);
  assert.equal(errors.length, 2);
  rmSync(dir);
  renameSync(join(root, 'sources.saved'), dir);
});

test('ids expire after the window, in time order; an expired id seen again is fresh and lives its new window', async (t) => {
  const file = join(tempDir(t), 'kc.dedupe.json');
  const window = new DedupeWindow(file, 1_000, 0);
  await add(window, ['a', 'b'], 0);
  await add(window, ['c'], 500);
  assert.deepEqual([...window.claim(['a', 'c', 'a'], 900).fresh], [], 'within the window, and a repeat in one call');
  // At 1,200 a and b have expired, c has not: a is fresh again and now the newest.
  const again = window.claim(['a', 'b', 'c'], 1_200);
  assert.deepEqual([...again.fresh], ['a', 'b']);
  window.settle(again);
  await window.save(again.fresh, 1_200);
  // At 1,600 c expires; a and b (seen again at 1,200) still hold.
  assert.deepEqual([...window.claim(['a', 'b', 'c'], 1_600).fresh], ['c']);
  // A restart reads the log back in time order.
  const restarted = new DedupeWindow(file, 1_000, 1_700);
  assert.ok(restarted.has('a', 1_700) && restarted.has('b', 1_700) && !restarted.has('c', 1_700));
});
