// npm run bench: the gateway end to end, as its own process, on this machine.
//   generator (this process, undici) → gateway (journal with fsync on) → sink (its own process, HEC-like)
// Prints one JSON line per connection count: throughput, CPU (per event and per core), time to 202,
// the gateway's own counters (requests, group commits, GC), then drain time, lost and duplicates.
// Flags:
//   --duration S --warmup S --connections N[,N…] (default 1,4,16) --subscriptions N --tls --format SPLUNK|ACTIVITY|NEWRELIC
//   --subscriptions 0 measures ingest alone (npm run bench:ingest); --tcp delivers over TCP_IP (JSON_DOC)
//   --rate R (open loop, events/s, for latency) --backlog N (fill N events with the sink down, then
//   measure start-up to first delivery and drain rate) --max-events N --profile DIR (gateway --cpu-prof)
//   --thread on|off|auto (server.deliveryThread)
//   --backend jetstream (a nats-server started here from the README's configuration, storage.backend:
//   jetstream) --processes N (gateways sharing it; the generator spreads its connections over their
//   ingest ports). It then runs one gateway on the file journal with the same load and prints that
//   line too, and a last line with the ratios (events/s, and gateway + nats-server CPU per event).
//   --peer: run ../shared/peers/side-by-side.sh instead (Fluent Bit and the gateway, one generator, one sink)
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCa } from '../test/helpers/certificates.js';
import { freePort } from '../test/helpers/free-port.js';
import { NatsServer } from '../test/helpers/nats-server.js';
import { counterRates, metricsToken, readCounters, type Counters } from './gateway-counters.js';
import { batchSize, bodyBytes, generate } from './generator.js';
import { cpuSeconds, peakRssMb } from './process-usage.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1,4,16' },
    subscriptions: { type: 'string', default: '1' },
    tls: { type: 'boolean', default: false },
    tcp: { type: 'boolean', default: false },
    format: { type: 'string', default: 'SPLUNK' },
    rate: { type: 'string' },
    backlog: { type: 'string' },
    'max-events': { type: 'string', default: '50000000' },
    profile: { type: 'string' },
    peer: { type: 'boolean', default: false },
    thread: { type: 'string' },
    backend: { type: 'string', default: 'file' },
    processes: { type: 'string', default: '1' },
  },
});
const token = 'bench-ingest-token-0123456789';
const subscriptions = Number(values.subscriptions);
const dir = mkdtempSync(join(tmpdir(), 'siem-gateway-bench-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// ---- the sink --------------------------------------------------------------------------------

interface SinkStats {
  events: number;
  bytes: number;
  requests: number;
  firstAt: number;
  histogram: [number, number][];
}

async function startSink(port: number, tls: { cert: string; key: string } | undefined): Promise<{ port: number; stats: () => Promise<SinkStats>; reset: () => void; child: ChildProcess }> {
  const child = fork(fileURLToPath(new URL('./sink.js', import.meta.url)), [], { env: { ...process.env, SINK_PORT: String(port), SINK_CERT: tls?.cert ?? '', SINK_KEY: tls?.key ?? '', SINK_TCP: values.tcp ? '1' : '' } });
  children.push(child);
  const listening = await new Promise<number>((resolve) => child.once('message', (message: { port: number }) => resolve(message.port)));
  const stats = () =>
    new Promise<SinkStats>((resolve) => {
      const onMessage = (message: SinkStats & { type: string }) => {
        if (message.type !== 'stats') return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ type: 'stats' });
    });
  return { port: listening, stats, reset: () => child.send({ type: 'reset' }), child };
}

// ---- the gateway -----------------------------------------------------------------------------

let nats: NatsServer | undefined;

function writeConfig(sinkPort: number, caFile: string | undefined, name = 'gw-0'): string {
  const scheme = values.tcp ? (caFile ? 'tls' : 'tcp') : caFile ? 'https' : 'http';
  const destination = values.tcp ? `protocol: TCP_IP\n    connectionDetails: { url: "${scheme}://127.0.0.1:${sinkPort}" }` : `httpEndpoint: { url: "${scheme}://127.0.0.1:${sinkPort}/services/collector/event" }`;
  const subscriptionLines = Array.from({ length: subscriptions }, (_, i) => `  - id: bench-${i}
    environment: prod
    format: ${values.format}
    ${destination}
${caFile ? '    trustedCertificates: [ { id: sink-ca } ]\n' : ''}    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions:
      maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 500 }
      payloadFormat: { https: { format: ND_JSON }, tcp: { format: JSON_DOC } }
`).join('');
  mkdirSync(join(dir, name), { recursive: true });
  const file = join(dir, name, 'gateway.yaml');
  const storage = nats === undefined ? '{ dir: data, maxMB: 65536 }' : `{ dir: data, maxMB: 8192, backend: jetstream, jetstream: { servers: ["${nats.url}"], stream: bench, processName: ${name} } }`;
  writeFileSync(file, `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
${values.thread === undefined ? '' : `  deliveryThread: ${values.thread}\n`}storage: ${storage}
auth: { tokens: [ { name: bench, token: "${token}", scopes: [ingest] }, { name: scrape, token: "${metricsToken}", scopes: [metrics] } ] }
environments: [ { id: prod } ]
${caFile ? `certificates: [ { id: sink-ca, environment: prod, file: ${caFile} } ]\n` : ''}logging: { level: info }
${subscriptions === 0 ? '' : `subscriptions:\n${subscriptionLines}`}`);
  return file;
}

async function startGateway(file: string): Promise<{ child: ChildProcess; ingest: string; admin: string; startedAt: number }> {
  const profile = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`];
  const startedAt = Date.now();
  const child = spawn(process.execPath, [...profile, fileURLToPath(new URL('../src/cli/main.js', import.meta.url)), 'start', '--config', file], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env } });
  children.push(child);
  // The log (delivery lines included, as operators run it) is read to the end so the pipe never blocks.
  const { ingest, admin } = await new Promise<{ ingest: string; admin: string }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"msg":"listening"')) resolve(JSON.parse(line) as { ingest: string; admin: string });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
  return { child, ingest, admin, startedAt };
}

async function stopGateway(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

// ---- the generator ---------------------------------------------------------------------------

// ---- measuring -------------------------------------------------------------------------------

function percentile(histogram: [number, number][], p: number): number {
  const sorted = [...histogram].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, weight]) => sum + weight, 0);
  let seen = 0;
  for (const [latency, weight] of sorted) {
    seen += weight;
    if (seen >= total * p) return latency;
  }
  return sorted.at(-1)?.[0] ?? 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await condition()) return true;
    await sleep(100);
  }
  return false;
}

function tlsMaterial(): { sink: { cert: string; key: string }; caFile: string } | undefined {
  if (!values.tls) return undefined;
  const ca = createCa('bench CA');
  const server = ca.issue({ commonName: '127.0.0.1', ips: ['127.0.0.1'] });
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert);
  return { sink: server, caFile };
}

async function throughput(connections: number, processes = Number(values.processes), prefix = 'gw'): Promise<Record<string, unknown>> {
  const tls = tlsMaterial();
  const sink = await startSink(0, tls?.sink);
  const gateways: Awaited<ReturnType<typeof startGateway>>[] = [];
  for (let i = 0; i < processes; i++) gateways.push(await startGateway(writeConfig(sink.port, tls?.caFile, `${prefix}-${i}`)));
  const gatewayCpu = () => gateways.reduce((sum, running) => sum + cpuSeconds(running.child.pid!), 0);
  const natsCpu = () => (nats === undefined ? 0 : cpuSeconds(nats.pid));
  const load = generate(gateways.map((running) => running.ingest), { token, connections, rate: values.rate === undefined ? undefined : Number(values.rate), rampMs: Number(values.warmup) * 1000, maxEvents: Number(values['max-events']), uniqueIds: nats !== undefined });
  const counters = () => Promise.all(gateways.map((running) => readCounters(running.admin)));
  await sleep(Number(values.warmup) * 1000);
  sink.reset();
  load.measuring = true;
  const before = { accepted: load.accepted, counters: await counters(), sink: await sink.stats(), cpu: gatewayCpu(), natsCpu: natsCpu(), sinkCpu: cpuSeconds(sink.child.pid!), generatorCpu: cpuSeconds(process.pid), at: performance.now() };
  await sleep(Number(values.duration) * 1000);
  const after = { accepted: load.accepted, counters: await counters(), sink: await sink.stats(), cpu: gatewayCpu(), natsCpu: natsCpu(), sinkCpu: cpuSeconds(sink.child.pid!), generatorCpu: cpuSeconds(process.pid), at: performance.now() };
  load.measuring = false;
  const requests = load.latencies.sort((a, b) => a - b);
  const requestPercentile = (p: number) => Math.round((requests[Math.min(requests.length - 1, Math.floor(requests.length * p))] ?? 0) * 10) / 10;
  await load.stop();
  // Drain: until the sink holds every acknowledged event, at most 60 s; what is missing then is lost.
  const expected = load.accepted * subscriptions;
  const drainStarted = performance.now();
  await waitFor(async () => (await sink.stats()).events >= expected, 60_000);
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  const final = await sink.stats();
  const rss = Math.max(...gateways.map((running) => peakRssMb(running.child.pid!)));
  for (const running of gateways) await stopGateway(running.child);
  sink.child.kill('SIGKILL');
  const seconds = (after.at - before.at) / 1000;
  return {
    bench: 'end-to-end',
    backend: nats === undefined ? 'file' : 'jetstream',
    processes: gateways.length,
    format: values.format,
    tls: values.tls,
    protocol: values.tcp ? 'TCP_IP' : 'HTTPS',
    deliveryThread: values.thread ?? 'auto',
    subscriptions,
    connections,
    rate: values.rate === undefined ? null : Number(values.rate),
    events_per_s: Math.round((after.accepted - before.accepted) / seconds),
    delivered_per_s: Math.round((after.sink.events - before.sink.events) / seconds),
    mb_per_s: Math.round((((after.accepted - before.accepted) / batchSize) * bodyBytes) / seconds / 1_048_576 * 10) / 10,
    p50_ms: percentile(after.sink.histogram, 0.5),
    p99_ms: percentile(after.sink.histogram, 0.99),
    request_p50_ms: requestPercentile(0.5),
    request_p99_ms: requestPercentile(0.99),
    cpu_pct: Math.round(((after.cpu - before.cpu) / seconds) * 100),
    // Throughput for each core the gateway kept busy: does it grow with cores, or only use them?
    events_per_s_per_core: Math.round((after.sink.events - before.sink.events) / Math.max(0.01, after.cpu - before.cpu)),
    ...(nats === undefined ? {} : { nats_cpu_pct: Math.round(((after.natsCpu - before.natsCpu) / seconds) * 100) }),
    // The rest of the machine's two cores: what the generator and the sink take from the gateway.
    generator_cpu_pct: Math.round(((after.generatorCpu - before.generatorCpu) / seconds) * 100),
    sink_cpu_pct: Math.round(((after.sinkCpu - before.sinkCpu) / seconds) * 100),
    // CPU per event delivered (per event accepted when nothing is delivered): comparable across
    // runs of different speed, and with Fluent Bit's figure from ../shared/peers.
    ...cpuPerEvent({ gateway: after.cpu - before.cpu, ...(nats === undefined ? {} : { nats: after.natsCpu - before.natsCpu }), generator: after.generatorCpu - before.generatorCpu, sink: after.sinkCpu - before.sinkCpu }, subscriptions === 0 ? after.accepted - before.accepted : after.sink.events - before.sink.events),
    rss_mb: rss,
    ...(nats === undefined ? sumRates(before.counters, after.counters, seconds) : {}),
    accepted: load.accepted,
    delivered: final.events,
    drain_s: Math.round(drainSeconds * 10) / 10,
    lost: Math.max(0, expected - final.events),
    duplicates: Math.max(0, final.events - expected),
    refused: load.refused,
  };
}

async function backlog(count: number): Promise<Record<string, unknown>> {
  const tls = tlsMaterial();
  const port = await freePort();
  const file = writeConfig(port, tls?.caFile);
  const filling = await startGateway(file);
  const load = generate(filling.ingest, { token, connections: Number(values.connections.split(',')[0]), maxEvents: count, uniqueIds: nats !== undefined });
  await waitFor(() => Promise.resolve(load.accepted >= count), 600_000);
  await load.stop();
  await stopGateway(filling.child);
  const sink = await startSink(port, tls?.sink);
  const gateway = await startGateway(file);
  await waitFor(async () => (await sink.stats()).events > 0, 120_000);
  const first = await sink.stats();
  const drained = await waitFor(async () => (await sink.stats()).events >= load.accepted * subscriptions, 600_000);
  const final = await sink.stats();
  const doneAt = Date.now();
  const rss = peakRssMb(gateway.child.pid!);
  await stopGateway(gateway.child);
  return {
    bench: 'backlog',
    backlog: load.accepted,
    startup_to_first_delivery_ms: first.firstAt - gateway.startedAt,
    drain_events_per_s: Math.round(final.events / ((doneAt - first.firstAt) / 1000)),
    rss_mb: rss,
    delivered: final.events,
    lost: drained ? Math.max(0, load.accepted * subscriptions - final.events) : load.accepted * subscriptions - final.events,
  };
}

/** The gateways' own counters over the window (file journal: JetStream has no group commits to count). */
function sumRates(before: Counters[], after: Counters[], seconds: number): Record<string, number> {
  const sum = (all: Counters[]) => all.reduce((total, one) => Object.fromEntries(Object.entries(one).map(([key, value]) => [key, (total as Record<string, number>)[key]! + value])) as Counters);
  return counterRates(sum(before), sum(after), seconds);
}

/** `us_cpu_per_event_<name>`: CPU microseconds each process spent per event. */
function cpuPerEvent(cpuSecondsBy: Record<string, number>, events: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpuSecondsBy).map(([name, cpu]) => [`us_cpu_per_event_${name}`, events > 0 ? Math.round((cpu / events) * 1e7) / 10 : 0]));
}

/** --peer: ../shared/peers/side-by-side.sh, Fluent Bit and this gateway with one generator and one sink. */
function peer(): Promise<number> {
  const script = fileURLToPath(new URL('../../../shared/peers/side-by-side.sh', import.meta.url));
  if (!existsSync(script)) {
    console.error(`--peer needs ${script} (the shared peers directory next to this checkout)`);
    return Promise.resolve(2);
  }
  const repository = fileURLToPath(new URL('../../', import.meta.url));
  // The script leaves each run's gateway directory (its journal: 1.7-2.4 GB) and its logs in
  // mktemp's directory; 117 of them once filled this machine's disk. Its mktemp goes under this
  // run's own directory, removed on exit.
  const child = spawn('bash', [script, values.duration === '20' ? '25' : values.duration, values.connections.split(',').at(-1)!], { cwd: repository, env: { ...process.env, GW: repository, TMPDIR: dir }, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

if (values.peer) process.exit(await peer());
if (values.backend !== 'file' && values.backend !== 'jetstream') throw new Error('--backend is file or jetstream');
if (values.backend === 'jetstream' && values.backlog !== undefined) nats = await NatsServer.start(dir);
process.on('exit', () => nats?.killNow());
if (values.backlog !== undefined) {
  console.log(JSON.stringify(await backlog(Number(values.backlog))));
  process.exit(0);
}
// One line per connection count (default 1, 4 and 16: collectors in front of a gateway open many).
for (const connections of values.connections.split(',').map(Number)) {
  if (values.backend === 'jetstream') nats ??= await NatsServer.start(dir);
  const result = await throughput(connections);
  console.log(JSON.stringify(result));
  if (nats !== undefined) {
    // The same load on one gateway with the file journal, in the same run: the yardstick JetStream is held to.
    await nats.stop();
    nats = undefined;
    const file = await throughput(connections, 1, 'file');
    console.log(JSON.stringify(file));
    const cpu = (line: Record<string, unknown>) => Number(line.us_cpu_per_event_gateway) + Number(line.us_cpu_per_event_nats ?? 0);
    console.log(JSON.stringify({ ratio_events_jetstream_file: Math.round((Number(result.events_per_s) / Number(file.events_per_s)) * 100) / 100, ratio_cpu_per_event_jetstream_file: Math.round((cpu(result) / cpu(file)) * 100) / 100, processes: result.processes, connections }));
  }
}
process.exit(0);
