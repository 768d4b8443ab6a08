// Connections and slow clients are bounded: a real gateway process flooded with 1,100 idle
// connections refuses those past server.maxConnections and closes the idle ones after
// server.headersTimeoutMs, while the admin listener and the subscriptions keep working; a body
// trickled a byte at a time is cut at server.requestTimeoutMs. Each refusal is counted.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { startIdSink } from '../helpers/http-sink.js';
import { ingestToken, opsToken, sample } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { writeSinkGatewayConfig } from '../helpers/sink-gateway-config.js';
import { tempDir } from '../helpers/temp-dir.js';

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

test('1,100 idle connections: those past maxConnections are refused, idle ones closed after the header timeout, everything else keeps working; a trickled body is cut', async (t) => {
  const { sink, ids } = await startIdSink();
  t.after(() => sink.close());
  const dir = tempDir(t);
  const file = writeSinkGatewayConfig(dir, `${sink.url}/`, { server: '  headersTimeoutMs: 3000\n  requestTimeoutMs: 4000\n' });
  const gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  const addresses = await gateway.listening();
  const ingest = hostPort(addresses.ingest);
  const admin = `http://${addresses.admin}`;
  const post = async (id: string) => {
    const response = await fetch(`http://${addresses.ingest}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ id, recordedAt: '2026-11-24T10:15:00.000Z', action: { type: 'USER.CREATED' } }) });
    await response.arrayBuffer();
    return response.status;
  };
  assert.equal(await post('before'), 202);
  await until(() => ids('/').includes('before'), 10_000);

  // 1,100 connections that never send a byte, opened in waves of 100: all at once would overflow
  // the listen backlog (511) on a loaded machine, and the kernel's SYN retries (1 s, 3 s, 7 s…)
  // would then connect some of them long after the rest.
  const sockets: Socket[] = [];
  const lifetimes: number[] = [];
  for (let wave = 0; wave < 11; wave++) {
    await Promise.all(
      Array.from({ length: 100 }, () =>
        new Promise<void>((resolve) => {
          let connectedAt: number | undefined;
          const socket = connect(ingest.port, ingest.host, () => {
            connectedAt = Date.now();
            resolve();
          });
          // One reset before it was seen connected counts as refused at once.
          socket.on('close', () => lifetimes.push(connectedAt === undefined ? 0 : Date.now() - connectedAt));
          socket.on('error', () => resolve());
          sockets.push(socket);
        }),
      ),
    );
  }
  t.after(() => {
    for (const socket of sockets) socket.destroy();
  });
  // Refused ones close at once; idle ones not before the 3 s header timeout.
  const refused = () => lifetimes.filter((ms) => ms < 1500).length;
  await until(() => refused() >= 100, 2500).catch(() => assert.fail(`${refused()} connections were refused at once; 100 are past server.maxConnections (1000)`));
  // Meanwhile the admin listener answers, and the subscription is fine.
  const ready = await fetch(`${admin}/readyz`, { headers: { authorization: `Bearer ${opsToken}` } });
  assert.equal(ready.status, 200);
  assert.deepEqual(((await ready.json()) as { subscriptions: { state: string }[] }).subscriptions.map((s) => s.state), ['ok']);

  // The idle ones are closed after the header timeout; then an authenticated request is accepted.
  await until(() => lifetimes.length === sockets.length, 15_000).catch(() => assert.fail(`${sockets.length - lifetimes.length} of ${sockets.length} connections still open`));
  // At most one more than 100 is refused: the keep-alive connection of the first post holds a slot.
  assert.ok(refused() <= 101, `${refused()} connections were refused at once; only 100 are past server.maxConnections`);
  const early = lifetimes.filter((ms) => ms >= 1500 && ms < 2500).length;
  assert.equal(early, 0, `${early} idle connections were closed before the header timeout`);
  assert.equal(await post('after'), 202);
  // Delivered, if need be after a retry: an attempt made while the flood was being closed may have failed and backed off.
  await until(() => ids('/').includes('after'), 30_000);

  // A body sent a byte a second is cut at the request timeout (408), not held open.
  const slow = connect(ingest.port, ingest.host);
  slow.on('error', () => undefined);
  let answer = '';
  slow.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  const slowStarted = Date.now();
  const closed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
  slow.write(`POST /v1/environments/prod/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ingestToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`);
  const trickle = setInterval(() => slow.write('['), 1000);
  t.after(() => clearInterval(trickle));
  await closed;
  clearInterval(trickle);
  const heldMs = Date.now() - slowStarted;
  assert.ok(heldMs >= 3500 && heldMs < 8000, `the trickled request was held ${heldMs} ms; requestTimeoutMs is 4000`);
  assert.match(answer, /^HTTP\/1\.1 408/);

  const metrics = await (await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${opsToken}` } })).text();
  assert.ok(sample(metrics, 'siem_gateway_ingest_rejected_total{reason="too_many_connections"}') >= 100);
  assert.equal(sample(metrics, 'siem_gateway_ingest_rejected_total{reason="request_timeout"}'), 1);
});
