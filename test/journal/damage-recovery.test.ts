// Damage in the journal costs only the damaged bytes: real segment files damaged on disk between
// runs of a real gateway process, then every intact event delivered to a real HTTP sink, the lost
// ones counted per subscription with real labels, and no sequence number handed out twice.
import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { startIdSink } from '../helpers/http-sink.js';
import { devToken, ingestToken, opsToken, sample } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

function config(sinkUrl: string | undefined): string {
  const subscription = (id: string, environment: string) => `  - id: ${id}
    environment: ${environment}
    format: ACTIVITY
    startAt: earliest
    httpEndpoint: { url: "${sinkUrl}/${id}" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20, payloadFormat: { https: { format: ND_JSON } } }
`;
  return `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
storage: { dir: data, maxMB: 16 }
environments: [ { id: prod }, { id: dev } ]
auth:
  tokens:
    - { name: collector, token: "${ingestToken}", scopes: [ingest], environments: [prod] }
    - { name: dev-collector, token: "${devToken}", scopes: [ingest], environments: [dev] }
    - { name: ops, token: "${opsToken}", scopes: [admin, metrics] }
${sinkUrl === undefined ? '' : `subscriptions:\n${subscription('prod-sink', 'prod')}${subscription('dev-sink', 'dev')}`}`;
}

async function start(t: TestContext, file: string) {
  const gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  const { ingest, admin } = await gateway.listening();
  return { gateway, ingest: `http://${ingest}`, admin: `http://${admin}` };
}

async function stop(gateway: GatewayProcess) {
  gateway.kill('SIGTERM');
  assert.equal((await gateway.exited).code, 0);
}

/** Posts one request (one journal record) of events; true when acknowledged. */
async function post(ingest: string, environment: string, ids: string[], pad = 0): Promise<boolean> {
  const body = JSON.stringify(ids.map((id) => ({ id, recordedAt: '2026-11-24T10:15:00.000Z', action: { type: 'USER.CREATED' }, pad: 'p'.repeat(pad) })));
  const response = await fetch(`${ingest}/v1/environments/${environment}/events`, { method: 'POST', headers: { authorization: `Bearer ${environment === 'prod' ? ingestToken : devToken}`, 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  return response.status === 202;
}

const range = (prefix: string, from: number, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);

/** Start offsets of the records in a segment file. */
function recordOffsets(file: string): number[] {
  const bytes = readFileSync(file);
  const offsets: number[] = [];
  for (let at = 8; at + 8 <= bytes.length; at += 8 + bytes.readUInt32LE(at)) offsets.push(at);
  return offsets;
}

function overwrite(file: string, at: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, bytes, 0, bytes.length, at);
  closeSync(fd);
}

async function scrape(admin: string): Promise<string> {
  const response = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${opsToken}` } });
  return response.text();
}

test('bytes damaged inside record 2 of 20 of the newest segment and inside an older segment: every intact event is delivered, exactly the damaged events are counted per subscription', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'gateway.yaml');
  // 1. Events stored with no subscription yet: an older segment (1 MiB segments) and a newest one.
  writeFileSync(file, config(undefined));
  const first = await start(t, file);
  const sent = { prod: [] as string[], dev: [] as string[] };
  for (let r = 0; r < 10; r++) {
    const ids = range('old', r * 100, 100);
    assert.ok(await post(first.ingest, 'prod', ids, 1000));
    sent.prod.push(...ids);
  }
  for (let r = 0; r < 20; r++) {
    const environment = r % 5 === 4 ? 'dev' : 'prod';
    const ids = range(`new${environment}`, r * 10, 10);
    assert.ok(await post(first.ingest, environment, ids));
    sent[environment].push(...ids);
  }
  await stop(first.gateway);

  // 2. Damage: ten bytes inside record 2 of the newest segment's 20, and inside record 5 of the older one.
  const journalDir = join(dir, 'data', 'journal');
  const segments = readdirSync(journalDir).filter((name) => name.endsWith('.seg')).sort().map((name) => join(journalDir, name));
  assert.equal(segments.length, 2, 'one older segment and the newest');
  const [older, newest] = segments as [string, string];
  const newestRecords = recordOffsets(newest);
  assert.equal(newestRecords.length, 20);
  const olderRecords = recordOffsets(older);
  const garbage = Buffer.from('DAMAGED!!!');
  overwrite(newest, newestRecords[1]! + 100, garbage);
  overwrite(older, olderRecords[4]! + 5000, garbage);
  const newestBytes = statSync(newest).size;
  const lostNewest = range('newprod', 10, 10);
  const lostOlder = range('old', 400, 100);

  // 3. Restart with two subscriptions from the earliest event.
  const { sink, ids } = await startIdSink();
  t.after(() => sink.close());
  writeFileSync(file, config(sink.url));
  const second = await start(t, file);
  const expectedProd = sent.prod.filter((id) => !lostNewest.includes(id) && !lostOlder.includes(id));
  await until(() => ids('/prod-sink').length >= expectedProd.length && ids('/dev-sink').length >= sent.dev.length, 20_000);
  assert.deepEqual(ids('/prod-sink'), expectedProd, 'every intact prod event, in order, once');
  assert.deepEqual(ids('/dev-sink'), sent.dev);
  assert.equal(statSync(newest).size, newestBytes, 'nothing after the damage was cut');

  const metrics = await scrape(second.admin);
  assert.equal(sample(metrics, 'siem_gateway_events_dropped_total{environment="prod",subscription="prod-sink",reason="corrupt"}'), lostNewest.length + lostOlder.length);
  assert.equal(sample(metrics, 'siem_gateway_events_dropped_total{environment="dev",subscription="dev-sink",reason="corrupt"}'), 0);
  const logged = second.gateway.lines.filter((line) => String(line.msg).startsWith('journal: damaged bytes'));
  assert.equal(logged.length, 2, 'each damage is logged once');
  for (const line of logged) assert.ok(readFileSync(String(line.savedAs)).length > 0, `the damaged bytes are saved in ${String(line.savedAs)}`);
  assert.deepEqual(logged.map((line) => [line.fromSeq, line.toSeq]).sort((a, b) => Number(a[0]) - Number(b[0])), [[401, 500], [1011, 1020]]);
  await stop(second.gateway);

  // 4. Another restart: the damage is neither counted nor logged again.
  const third = await start(t, file);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(sample(await scrape(third.admin), 'siem_gateway_events_dropped_total{environment="prod",subscription="prod-sink",reason="corrupt"}'), 0);
  assert.equal(third.gateway.lines.filter((line) => String(line.msg).startsWith('journal: damaged bytes')).length, 0);
  await stop(third.gateway);
});

test('an unreadable newest segment, new events acknowledged while the sink is down, SIGKILL, restart: every event acknowledged after the recovery is delivered', async (t) => {
  let accepting = true;
  const { sink, ids } = await startIdSink(() => accepting);
  t.after(() => sink.close());
  const dir = tempDir(t);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, config(sink.url));
  // 1. 5,000 events delivered: the saved cursor says 5000.
  const first = await start(t, file);
  for (let r = 0; r < 50; r++) assert.ok(await post(first.ingest, 'prod', range('a', r * 100, 100)));
  await until(() => ids('/prod-sink').length === 5000, 20_000);
  await stop(first.gateway);

  // 2. The whole segment is overwritten: no header, no record left.
  const journalDir = join(dir, 'data', 'journal');
  const [segment] = readdirSync(journalDir).filter((name) => name.endsWith('.seg')).map((name) => join(journalDir, name));
  overwrite(segment!, 0, Buffer.alloc(statSync(segment!).size, 0xa5));

  // 3. Restart; 950 new events are acknowledged while the sink refuses them; then SIGKILL.
  accepting = false;
  const second = await start(t, file);
  const after: string[] = [];
  for (let r = 0; r < 19; r++) {
    const ids = range('b', r * 50, 50);
    assert.ok(await post(second.ingest, 'prod', ids));
    after.push(...ids);
  }
  second.gateway.kill('SIGKILL');
  await second.gateway.exited;

  // 4. Restart with the sink back: all 950 arrive.
  accepting = true;
  const third = await start(t, file);
  await until(() => after.every((id) => ids('/prod-sink').includes(id)), 20_000).catch(() => {
    const missing = after.filter((id) => !ids('/prod-sink').includes(id));
    assert.fail(`${missing.length} of ${after.length} events acknowledged after the recovery were not delivered`);
  });
  assert.ok(second.gateway.lines.some((line) => String(line.msg).startsWith('journal: new events are numbered from')));
  assert.ok(readdirSync(journalDir).some((name) => name.endsWith('.seg.corrupt')), 'the unreadable segment was moved aside');
  // Stopped here: the directory's removal (an earlier after-hook) must not race its last cursor write.
  await stop(third.gateway);
});
