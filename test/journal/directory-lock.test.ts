// One writer per storage.dir: a second gateway on the same directory is refused with the owner's
// PID and exit code 1, while the first keeps serving; a lock left by a dead process, by a process
// whose PID was reused, or cut to nothing by a crash is taken over with a log line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { DirectoryInUseError } from '../../src/util/directory-lock.js';
import { FileJournal } from '../../src/backends/file/file-journal.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { GatewayProcess, runCli } from '../helpers/gateway-process.js';
import { ingestToken, postEvents } from '../helpers/in-process-gateway.js';
import { tempDir } from '../helpers/temp-dir.js';

function open(dir: string) {
  const { logger, lines } = captureLogger();
  return { opening: FileJournal.open({ dir, maxBytes: 1 << 30, maxAgeMs: 3_600_000, whenFull: 'reject', logger }), lines };
}

async function openAndClose(t: TestContext, dir: string) {
  const { opening, lines } = open(dir);
  const journal = await opening;
  t.after(() => journal.close());
  return { journal, lines };
}

/** A PID that certainly ran and has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('a second journal on the same directory is refused with the owner PID; the lock goes with close()', async (t) => {
  const dir = tempDir(t);
  const first = await open(dir).opening;
  const lock = join(dir, 'gateway.lock');
  assert.equal((JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid, process.pid);
  await assert.rejects(open(dir).opening, (error: unknown) => {
    assert.ok(error instanceof DirectoryInUseError);
    assert.equal(error.pid, process.pid);
    assert.match(error.message, new RegExp(`storage.dir ${dir} is in use by another gateway \\(PID ${process.pid}\\)`));
    return true;
  });
  await first.close();
  assert.equal(existsSync(lock), false);
  await openAndClose(t, dir);
});

test('a lock left by a process that no longer runs is taken over, with a log line', async (t) => {
  const dir = tempDir(t);
  const pid = deadPid();
  writeFileSync(join(dir, 'gateway.lock'), JSON.stringify({ pid, processStart: '1', host: hostname(), since: '2026-11-24T00:00:00Z' }));
  const { lines } = await openAndClose(t, dir);
  const line = lines.find((l) => l.msg === `storage.dir: took over the lock of PID ${pid}, which no longer runs`);
  assert.ok(line, 'the takeover is logged');
  assert.equal(line.stalePid, pid);
  assert.equal(line.level, 40);
});

test('a live PID that belongs to another process now (reused) does not hold the lock', async (t) => {
  const dir = tempDir(t);
  // Our parent runs, but it is not the process that wrote this lock: its start time differs.
  writeFileSync(join(dir, 'gateway.lock'), JSON.stringify({ pid: process.ppid, processStart: '1', host: hostname(), since: '2026-11-24T00:00:00Z' }));
  const { lines } = await openAndClose(t, dir);
  assert.ok(lines.some((l) => l.stalePid === process.ppid));
});

test('an empty lock file (the machine crashed as it was written) is taken over', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'gateway.lock'), '');
  const { lines } = await openAndClose(t, dir);
  assert.ok(lines.some((l) => String(l.msg).startsWith('storage.dir: took over an unreadable lock file')));
});

test('a lock held on another host is respected: its liveness cannot be checked from here', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'gateway.lock'), JSON.stringify({ pid: 4242, host: 'other-host.example', since: '2026-11-24T00:00:00Z' }));
  await assert.rejects(open(dir).opening, new RegExp(`in use by a gateway on another host \\(PID 4242\\); if it no longer runs, delete ${join(dir, 'gateway.lock')}`));
});

test('two gateway processes on one storage.dir: the second exits 1 naming the PID; the first keeps serving; validate takes no lock', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
storage: { dir: data }
auth: { tokens: [ { name: load, token: "${ingestToken}", scopes: [ingest] } ] }
environments: [ { id: prod } ]
`);
  const first = GatewayProcess.start(file);
  t.after(() => first.kill());
  const { ingest } = await first.listening();
  const event = { id: 'one', recordedAt: '2026-11-24T10:00:00Z', action: { type: 'USER.CREATED' } };
  assert.equal(await postEvents(`http://${ingest}`, event), 202);

  assert.equal(runCli(['validate', '--config', file]).status, 0);
  const second = GatewayProcess.start(file);
  t.after(() => second.kill());
  assert.equal((await second.exited).code, 1);
  const refusal = second.lines.find((line) => line.level === 60);
  assert.ok(refusal, `a fatal line: ${JSON.stringify(second.lines)}`);
  assert.match(refusal.msg, new RegExp(`storage.dir .*data is in use by another gateway \\(PID ${first.child.pid}\\)`));
  assert.ok(!second.lines.some((line) => line.msg === 'listening'));

  assert.equal(await postEvents(`http://${ingest}`, { ...event, id: 'two' }), 202);
  first.kill('SIGKILL');
  await first.exited;
  // The lock of the killed process is stale now: a new gateway takes it over.
  const third = GatewayProcess.start(file);
  t.after(() => third.kill());
  await third.listening();
  assert.ok(third.lines.some((line) => line.stalePid === first.child.pid));
  third.kill('SIGTERM');
  assert.equal((await third.exited).code, 0);
});
