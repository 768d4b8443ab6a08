// The saved cursor keeps up with delivery: under sustained load with small batches, the cursor
// file on disk trails what the sink acknowledged by less than a second of deliveries, so a
// SIGKILL costs at most that many duplicates (the in-flight window plus one cursor write).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { startIdSink } from '../helpers/http-sink.js';
import { ingestToken } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { writeSinkGatewayConfig } from '../helpers/sink-gateway-config.js';
import { tempDir } from '../helpers/temp-dir.js';

function savedCursor(dir: string): number {
  try {
    return (JSON.parse(readFileSync(join(dir, 'data', 'cursors', 'sink.json'), 'utf8')) as { seq: number }).seq;
  } catch {
    return 0; // not written yet, or being replaced (rename is atomic, but the read may race the first write)
  }
}

test('sustained load with 20-event batches: the cursor on disk stays within one second of the sink; a SIGKILL costs at most that in duplicates', async (t) => {
  const { sink, ids: receivedAt } = await startIdSink();
  t.after(() => sink.close());
  const received = receivedAt('/');
  const dir = tempDir(t);
  const file = writeSinkGatewayConfig(dir, `${sink.url}/`, { logging: '{ level: info, deliveryFile: data/delivery.log }', payload: 'maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 20 }' });
  const gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  const { ingest } = await gateway.listening();

  const acknowledged: string[] = [];
  const dispatcher = new Agent({ connections: 4 });
  t.after(() => dispatcher.close());
  // Paced at about 8,000 events/s (400 batches/s of 20): enough for a cursor write per batch to
  // fall behind (as it did), without starving the tests that run beside this one.
  let running = true;
  t.after(() => {
    running = false; // a failed assertion must not leave the load running until the file times out
  });
  let next = 0;
  const send = async () => {
    const ids = Array.from({ length: 100 }, () => `e${next++}`);
    const body = JSON.stringify(ids.map((id) => ({ id, recordedAt: '2026-11-24T10:15:00.000Z', action: { type: 'USER.CREATED' } })));
    try {
      const response = await request(`http://${ingest}/v1/environments/prod/events`, { method: 'POST', dispatcher, headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body });
      await response.body.text();
      if (response.statusCode === 202) acknowledged.push(...ids);
    } catch {
      // the gateway was killed
    }
  };
  const loops = Array.from({ length: 4 }, async (_, loop) => {
    await new Promise((resolve) => setTimeout(resolve, loop * 12));
    while (running) await Promise.all([send(), new Promise((resolve) => setTimeout(resolve, 50))]);
  });

  // Sample the cursor file against the sink's count for 10 s of load.
  const started = Date.now();
  let worstLag = 0;
  let samples = 0;
  while (Date.now() - started < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lag = received.length - savedCursor(dir);
    if (Date.now() - started > 1000) {
      worstLag = Math.max(worstLag, lag);
      samples++;
    }
  }
  const perSecond = received.length / ((Date.now() - started) / 1000);
  // Paced for 8,000 events/s, but what arrives is set by the time to a 202, i.e. by fsync on a
  // shared disk: 2,000-8,000/s alone, 1,300/s once beside the whole suite. The claim below is
  // relative to the rate measured; this only asks for a load at which it means something.
  assert.ok(received.length > 10_000, `enough load to matter (${received.length} events delivered, ${acknowledged.length} acknowledged)`);
  assert.ok(samples > 30);
  t.diagnostic(`delivered ${received.length} events at ${Math.round(perSecond)}/s (${acknowledged.length} acknowledged); the cursor file trailed the sink by at most ${worstLag}`);
  assert.ok(worstLag <= perSecond, `the cursor on disk trailed the sink by ${worstLag} events; one second of delivery is ${Math.round(perSecond)}`);

  gateway.kill('SIGKILL');
  await gateway.exited;
  running = false;
  await Promise.all(loops);
  const restarted = GatewayProcess.start(file);
  t.after(() => restarted.kill());
  await restarted.listening();
  const missing = new Set(acknowledged);
  let seen = 0;
  await until(() => {
    while (seen < received.length) missing.delete(received[seen++]!);
    return missing.size === 0;
  }, 30_000).catch(() => assert.fail(`${missing.size} acknowledged events were not delivered after the restart, for example ${[...missing][0]}`));
  const unique = new Set(received);
  const duplicates = received.length - unique.size;
  t.diagnostic(`${duplicates} duplicates after the SIGKILL`);
  assert.ok(duplicates <= perSecond, `${duplicates} duplicates after the SIGKILL; the bound is one second of delivery (${Math.round(perSecond)})`);
  restarted.kill('SIGTERM');
  assert.equal((await restarted.exited).code, 0);
});
