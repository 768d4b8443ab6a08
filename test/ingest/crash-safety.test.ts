// Nothing acknowledged is ever lost: a real gateway process under load is SIGKILLed at random
// moments, restarted on the same storage, and every event id that got a 202 must be in the
// journal, in request order.
import assert from 'node:assert/strict';
import { readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import type { JournalRecord } from '../../src/event/activity-event.js';
import { FileJournal } from '../../src/backends/file/file-journal.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const token = 'crash-test-ingest-token-01';

function writeConfig(dir: string): string {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
storage: { dir: data }
auth: { tokens: [ { name: load, token: "${token}", scopes: [ingest] } ] }
environments: [ { id: prod } ]
logging: { level: info }
`);
  return file;
}

async function readJournal(dir: string): Promise<JournalRecord[]> {
  const { logger } = captureLogger('silent');
  const journal = await FileJournal.open({ dir: join(dir, 'data'), maxBytes: 1 << 30, maxAgeMs: 3_600_000, whenFull: 'reject', logger });
  try {
    const out: JournalRecord[] = [];
    const reader = journal.reader(0);
    while (reader.nextSeq <= journal.stats().lastSeq) out.push(...(await reader.read(5000)));
    await reader.close();
    return out;
  } finally {
    await journal.close();
  }
}

test('SIGKILL under load, 6 times: every acknowledged event survives, in request order', async (t) => {
  const dir = tempDir(t);
  const file = writeConfig(dir);
  const clients = 4;
  const acknowledged: string[][] = Array.from({ length: clients }, () => []);
  const next = new Array<number>(clients).fill(0);
  const rounds = 6;

  for (let round = 0; round < rounds; round++) {
    const gateway = GatewayProcess.start(file);
    t.after(() => gateway.kill());
    const { ingest } = await gateway.listening();
    const dispatcher = new Agent({ connections: clients });
    let running = true;
    // Closed-loop clients: each sends its next request only after the previous answer.
    const loops = Array.from({ length: clients }, async (_, client) => {
      while (running) {
        const ids = Array.from({ length: 25 }, () => `c${client}-${next[client]!++}`);
        const body = JSON.stringify(ids.map((id) => ({ id, recordedAt: '2026-11-23T10:15:00.000Z', action: { type: 'USER.CREATED' }, pad: 'x'.repeat(200) })));
        try {
          const response = await request(`http://${ingest}/v1/environments/prod/events`, {
            method: 'POST',
            dispatcher,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body,
          });
          await response.body.text();
          if (response.statusCode === 202) acknowledged[client]!.push(...ids);
        } catch {
          return; // the gateway died under us
        }
      }
    });
    // A random moment between 150 and 650 ms into the load.
    await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(Math.random() * 500)));
    gateway.kill('SIGKILL');
    assert.equal((await gateway.exited).signal, 'SIGKILL');
    running = false;
    await Promise.all(loops);
    await dispatcher.close();
  }

  const records = await readJournal(dir);
  const stored = records.map((record) => record.event.id);
  assert.equal(new Set(stored).size, stored.length, 'no event is stored twice');
  const position = new Map(stored.map((id, index) => [id, index]));
  let total = 0;
  for (const ids of acknowledged) {
    total += ids.length;
    let previous = -1;
    for (const id of ids) {
      const at = position.get(id);
      assert.ok(at !== undefined, `acknowledged event ${id} is missing after the crashes`);
      assert.ok(at > previous, `event ${id} is out of request order`);
      previous = at;
    }
  }
  assert.ok(total > 0, 'load was acknowledged before the kills');
  // Seqs stay contiguous across every restart.
  assert.deepEqual(records.map((record) => record.seq), records.map((_, index) => index + 1));
});

test('a gateway started on a torn journal logs the cut and keeps every complete record', async (t) => {
  const dir = tempDir(t);
  const file = writeConfig(dir);
  const first = GatewayProcess.start(file);
  t.after(() => first.kill());
  const { ingest } = await first.listening();
  const events = Array.from({ length: 10 }, (_, i) => ({ id: `torn-${i}`, recordedAt: '2026-11-23T10:15:00.000Z', action: { type: 'USER.CREATED' } }));
  for (const event of events) {
    const response = await fetch(`http://${ingest}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(event) });
    assert.equal(response.status, 202);
  }
  first.kill('SIGKILL');
  await first.exited;

  const segmentDir = join(dir, 'data', 'journal');
  const segment = join(segmentDir, readdirSync(segmentDir).filter((name) => name.endsWith('.seg')).sort().at(-1)!);
  const size = statSync(segment).size;
  truncateSync(segment, size - 30); // in the middle of the last record

  const second = GatewayProcess.start(file);
  t.after(() => second.kill());
  const cut = await second.waitFor((line) => line.msg.startsWith('journal: cut a torn record'));
  assert.equal(cut.file, segment);
  assert.equal(typeof cut.offset, 'number');
  assert.match(cut.msg, new RegExp(`at the end of ${segment} at byte ${String(cut.offset)} `));
  await second.listening();
  second.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
  assert.deepEqual((await readJournal(dir)).map((record) => record.event.id), events.slice(0, 9).map((event) => event.id));
});
