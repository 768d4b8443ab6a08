// Transient storage errors heal: while the journal cannot write, ingest answers 503
// journal_unavailable with Retry-After and /readyz says not ready; once a probe write and fsync
// succeed it accepts again by itself, and nothing acknowledged is lost or stored twice.
import assert from 'node:assert/strict';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import type { JournalRecord } from '../../src/event/activity-event.js';
import { FileJournal } from '../../src/backends/file/file-journal.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { startIdSink } from '../helpers/http-sink.js';
import { ingestToken } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { writeSinkGatewayConfig } from '../helpers/sink-gateway-config.js';
import { tempDir } from '../helpers/temp-dir.js';

test('storage.dir briefly unwritable: 503 journal_unavailable, then 202 again without a restart; nothing acknowledged lost or stored twice', async (t) => {
  const { sink, ids: receivedAt } = await startIdSink();
  t.after(() => sink.close());
  const received = receivedAt('/');
  const dir = tempDir(t);
  // maxMB 16: 1 MiB segments, so a new segment file is needed after about ten requests.
  const file = writeSinkGatewayConfig(dir, `${sink.url}/`, { storage: 'maxMB: 16' });
  const gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  const { ingest, admin } = await gateway.listening();

  const acknowledged: string[] = [];
  let next = 0;
  const post = async () => {
    const ids = Array.from({ length: 100 }, () => `e${next++}`);
    const body = JSON.stringify(ids.map((id) => ({ id, recordedAt: '2026-11-24T10:15:00.000Z', action: { type: 'USER.CREATED' }, pad: 'p'.repeat(1000) })));
    const response = await request(`http://${ingest}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body });
    const answer = (await response.body.json()) as { error?: string };
    if (response.statusCode === 202) acknowledged.push(...ids);
    return { status: response.statusCode, error: answer.error, retryAfter: response.headers['retry-after'] };
  };
  const ready = async () => {
    const response = await request(`http://${admin}/readyz`);
    await response.body.dump();
    return response.statusCode;
  };

  for (let i = 0; i < 3; i++) assert.equal((await post()).status, 202);
  // The journal directory is replaced by a file: the open segment still takes appends, the next
  // segment cannot be created.
  const journalDir = join(dir, 'data', 'journal');
  renameSync(journalDir, `${journalDir}-away`);
  writeFileSync(journalDir, 'not a directory');
  let refused: Awaited<ReturnType<typeof post>> | undefined;
  for (let i = 0; i < 40 && refused === undefined; i++) {
    const answer = await post();
    if (answer.status !== 202) refused = answer;
  }
  assert.deepEqual(refused, { status: 503, error: 'journal_unavailable', retryAfter: '5' });
  assert.equal(await ready(), 503, '/readyz says not ready while the journal cannot write');
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal((await post()).status, 503, 'still refused while the directory is gone');

  unlinkSync(journalDir);
  renameSync(`${journalDir}-away`, journalDir);
  const restored = Date.now();
  let status = 0;
  while (status !== 202 && Date.now() - restored < 10_000) {
    status = (await post()).status;
    if (status !== 202) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(status, 202, 'accepted again without a restart');
  assert.equal(await ready(), 200);
  for (let i = 0; i < 15; i++) assert.equal((await post()).status, 202);

  await until(() => received.length >= acknowledged.length, 20_000);
  assert.deepEqual([...new Set(received)].sort(), [...acknowledged].sort(), 'every acknowledged event reached the sink');
  assert.equal(received.length, acknowledged.length, 'and none twice');
  const failures = gateway.lines.filter((line) => String(line.msg).startsWith('journal: cannot write'));
  assert.equal(failures.length, 1, 'the failure is logged once');
  assert.match(String(failures[0]!.msg), /ENOTDIR/);
  assert.equal(gateway.lines.filter((line) => String(line.msg).startsWith('journal: writing again')).length, 1);

  gateway.kill('SIGTERM');
  assert.equal((await gateway.exited).code, 0);
  // The journal holds each acknowledged event once, in order, and nothing else.
  const journal = await FileJournal.open({ dir: join(dir, 'data'), maxBytes: 16 << 20, maxAgeMs: 3_600_000, whenFull: 'reject', logger: captureLogger().logger });
  t.after(() => journal.close());
  const reader = journal.reader(0);
  const stored: JournalRecord[] = [];
  while (reader.nextSeq <= journal.stats().lastSeq) stored.push(...(await reader.read(1000)));
  await reader.close();
  assert.deepEqual(stored.map((record) => record.event.id), acknowledged);
  assert.deepEqual(stored.map((record) => record.seq), acknowledged.map((_, index) => index + 1));
});
