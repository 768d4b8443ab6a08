// npm run bench:ingest: events/s accepted into the journal with fsync on, JSON arrays of 100
// PingOne-style 1 KB events over N keep-alive connections, closed loop. Prints one JSON line.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { pingOneEvent } from './pingone-events.js';
import { cpuSeconds, peakRssMb } from './process-usage.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '4' },
    batch: { type: 'string', default: '100' },
    'max-requests': { type: 'string', default: '1000000' },
    profile: { type: 'string' },
  },
});
const durationMs = Number(values.duration) * 1000;
const warmupMs = Number(values.warmup) * 1000;
const connections = Number(values.connections);
const batchSize = Number(values.batch);
const maxRequests = Number(values['max-requests']);
const token = 'bench-ingest-token-0123456789';

const dir = mkdtempSync(join(tmpdir(), 'siem-gateway-bench-'));
writeFileSync(join(dir, 'gateway.yaml'), `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
storage: { dir: data, maxMB: 65536 }
auth: { tokens: [ { name: bench, token: "${token}", scopes: [ingest] } ] }
environments: [ { id: prod } ]
`);

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const profile = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`];
const child = spawn(process.execPath, [...profile, cli, 'start', '--config', join(dir, 'gateway.yaml')], { stdio: ['ignore', 'pipe', 'inherit'] });
const ingest = await new Promise<string>((resolve, reject) => {
  createInterface({ input: child.stdout }).on('line', (line) => {
    const parsed = JSON.parse(line) as { msg?: string; ingest?: string };
    if (parsed.msg === 'listening') resolve(parsed.ingest!);
  });
  child.on('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
});

// A pool of distinct bodies, built before the clock starts so the generator spends little CPU.
const bodies = Array.from({ length: 64 }, (_, b) => JSON.stringify(Array.from({ length: batchSize }, (_, i) => pingOneEvent(b * batchSize + i))));
const eventBytes = Buffer.byteLength(bodies[0]!) / batchSize;

const pool = new Pool(`http://${ingest}`, { connections, pipelining: 1 });
let measuring = false;
let stop = false;
let accepted = 0;
let acceptedBytes = 0;
let refused = 0;
let requests = 0;
const latencies: number[] = [];

async function client(index: number): Promise<void> {
  for (let n = index; !stop && requests < maxRequests; n += connections) {
    const body = bodies[n % bodies.length]!;
    const started = performance.now();
    const response = await pool.request({ path: '/v1/environments/prod/events', method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    await response.body.dump();
    requests++;
    if (!measuring) continue;
    if (response.statusCode === 202) {
      accepted += batchSize;
      acceptedBytes += body.length;
      latencies.push(performance.now() - started);
    } else refused++;
  }
}

const clients = Array.from({ length: connections }, (_, i) => client(i));
await new Promise((resolve) => setTimeout(resolve, warmupMs));
measuring = true;
const cpuStart = cpuSeconds(child.pid!);
const started = performance.now();
await new Promise((resolve) => setTimeout(resolve, durationMs));
measuring = false;
const elapsed = (performance.now() - started) / 1000;
const cpu = cpuSeconds(child.pid!) - cpuStart;
stop = true;
await Promise.all(clients);
const rss = peakRssMb(child.pid!);
await pool.close();
child.kill('SIGTERM');
await new Promise((resolve) => child.on('exit', resolve));
rmSync(dir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const percentile = (p: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0) * 10) / 10;
console.log(JSON.stringify({
  bench: 'ingest',
  events_per_s: Math.round(accepted / elapsed),
  mb_per_s: Math.round((acceptedBytes / elapsed / 1_048_576) * 10) / 10,
  event_bytes: Math.round(eventBytes),
  connections,
  batch: batchSize,
  p50_ms: percentile(0.5),
  p99_ms: percentile(0.99),
  cpu_pct: Math.round((cpu / elapsed) * 100),
  rss_mb: rss,
  accepted,
  refused,
}));
