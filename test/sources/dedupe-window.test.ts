// The dedupe window's file: a save that fails (its directory replaced by a file) is reported once
// and fails nothing; once the directory is back, the next save writes the whole window, and a
// new window read from it (a restart) still knows every id.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DedupeWindow } from '../../src/sources/dedupe-window.js';
import { tempDir } from '../helpers/temp-dir.js';

test('a failed save is reported once, fails nothing, and does not stop later saves', async (t) => {
  const root = tempDir(t);
  const dir = join(root, 'sources');
  mkdirSync(dir);
  const file = join(dir, 'kc.dedupe.json');
  const errors: Error[] = [];
  const window = new DedupeWindow(file, 600_000, 1_000, (error) => errors.push(error));
  await window.add(['a'], 1_000);

  // The directory is replaced by a file: saves fail with ENOTDIR.
  renameSync(dir, join(root, 'sources.saved'));
  writeFileSync(dir, 'not a directory');
  await window.add(['b'], 2_000);
  await window.add(['c'], 3_000);
  assert.equal(errors.length, 1, 'reported once for the run of failures');
  assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOTDIR');
  assert.ok(window.has('b', 3_000) && window.has('c', 3_000), 'still recognised in memory');

  // Back: the next save writes everything, and a restart reads it all.
  rmSync(dir);
  renameSync(join(root, 'sources.saved'), dir);
  await window.add(['d'], 4_000);
  const restarted = new DedupeWindow(file, 600_000, 5_000);
  for (const id of ['a', 'b', 'c', 'd']) assert.ok(restarted.has(id, 5_000), `${id} survives the restart`);
  assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as { seen: [string, number][] }).seen.map(([id]) => id), ['a', 'b', 'c', 'd']);

  // A second run of failures is reported again.
  renameSync(dir, join(root, 'sources.saved'));
  writeFileSync(dir, 'not a directory');
  await window.add(['e'], 6_000);
  assert.equal(errors.length, 2);
  rmSync(dir);
  renameSync(join(root, 'sources.saved'), dir);
});
