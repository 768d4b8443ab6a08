// npm run bench: the gateway end to end, as its own process, on this machine.
//   generator (this process, undici) → gateway (journal with fsync on) → sink (its own process, HEC-like)
// Prints one JSON line. Flags:
//   --duration S --warmup S --connections N --subscriptions N --tls --format SPLUNK|ACTIVITY|NEWRELIC
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
import { Pool } from 'undici';
import { createCa } from '../test/helpers/certificates.js';
import { freePort } from '../test/helpers/free-port.js';
import { NatsServer } from '../test/helpers/nats-server.js';
import { pingOneEvent } from './pingone-events.js';
import { cpuSeconds, peakRssMb } from './process-usage.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '4' },
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
const batchSize = 100;
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
auth: { tokens: [ { name: bench, token: "${token}", scopes: [ingest] } ] }
environments: [ { id: prod } ]
${caFile ? `certificates: [ { id: sink-ca, environment: prod, file: ${caFile} } ]\n` : ''}logging: { level: info }
${subscriptions === 0 ? '' : `subscriptions:\n${subscriptionLines}`}`);
  return file;
}

async function startGateway(file: string): Promise<{ child: ChildProcess; ingest: string; startedAt: number }> {
  const profile = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`];
  const startedAt = Date.now();
  const child = spawn(process.execPath, [...profile, fileURLToPath(new URL('../src/cli/main.js', import.meta.url)), 'start', '--config', file], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env } });
  children.push(child);
  // The log (delivery lines included, as operators run it) is read to the end so the pipe never blocks.
  const ingest = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"msg":"listening"')) resolve((JSON.parse(line) as { ingest: string }).ingest);
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
  return { child, ingest, startedAt };
}

async function stopGateway(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

// ---- the generator ---------------------------------------------------------------------------

/** Bodies of 100 events with a `sentAt` placeholder, filled in per request (cheap string joins). */
// With JetStream, event ids are the publish dedupe key: each request's ids get a suffix of their own.
const uniqueIds = values.backend === 'jetstream';
const templates = Array.from({ length: 32 }, (_, b) => JSON.stringify(Array.from({ length: batchSize }, (_, i) => { const event = pingOneEvent(b * batchSize + i); return { ...event, id: uniqueIds ? `${String(event.id)}-@n@` : event.id, sentAt: -1 }; })).split('"sentAt":-1'));
const bodyBytes = Buffer.byteLength(templates[0]!.join('"sentAt":1795430000000'));

interface Load {
  accepted: number;
  refused: number;
  /** Request latencies (ms) while `measuring`. */
  latencies: number[];
  measuring: boolean;
  stop(): Promise<void>;
}

function generate(ingests: string | string[], options: { connections: number; rate?: number; maxEvents: number }): Load {
  const addresses = typeof ingests === 'string' ? [ingests] : ingests;
  const pools = addresses.map((ingest) => new Pool(`http://${ingest}`, { connections: Math.max(Math.ceil(options.connections / addresses.length), 1), pipelining: 1 }));
  const load = { accepted: 0, refused: 0, latencies: [], measuring: false, stopped: false } as unknown as Load & { stopped: boolean };
  let n = 0;
  const send = async (pool = pools[n % pools.length]!) => {
    const parts = templates[n++ % templates.length]!;
    const joined = parts.join(`"sentAt":${Date.now()}`);
    const body = uniqueIds ? joined.replaceAll('@n@', String(n)) : joined;
    const started = performance.now();
    const response = await pool.request({ path: '/v1/environments/prod/events', method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    await response.body.dump();
    if (response.statusCode === 202) load.accepted += batchSize;
    else load.refused += batchSize;
    if (load.measuring) load.latencies.push(performance.now() - started);
  };
  const running: Promise<void>[] = [];
  if (options.rate === undefined) {
    for (let c = 0; c < options.connections; c++) {
      running.push((async () => {
        while (!load.stopped && load.accepted < options.maxEvents) await send(pools[c % pools.length]);
      })());
    }
  } else {
    // Open loop: requests leave on a fixed schedule whatever the answers (bounded in flight). The
    // rate ramps up from a tenth over the warm-up, so a cold (not yet optimised) gateway does not
    // start with a queue that the measured window then inherits.
    const rate = options.rate;
    const rampMs = Number(values.warmup) * 1000;
    const started = performance.now();
    /** When request `k` is due: ∫ rate(t) dt = k · batchSize, with rate(t) rising linearly from rate/10 over the ramp. */
    const dueAt = (k: number): number => {
      const events = k * batchSize;
      const rampEvents = ((rate * 0.1 + rate) / 2) * (rampMs / 1000);
      if (rampMs === 0 || events >= rampEvents) return rampMs + ((events - rampEvents) / rate) * 1000;
      // Solve 0.1·r·t + 0.45·r·t²/ramp = events (t in seconds) for t.
      const a = (0.45 * rate) / (rampMs / 1000);
      const b = 0.1 * rate;
      return ((-b + Math.sqrt(b * b + 4 * a * events)) / (2 * a)) * 1000;
    };
    let inFlight = 0;
    running.push((async () => {
      for (let k = 0; !load.stopped && load.accepted < options.maxEvents; k++) {
        const due = started + dueAt(k) - performance.now();
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
        if (inFlight >= 256) continue;
        inFlight++;
        void send().finally(() => inFlight--);
      }
    })());
  }
  load.stop = async () => {
    load.stopped = true;
    await Promise.all(running);
    await Promise.all(pools.map((pool) => pool.close()));
  };
  return load;
}

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

async function throughput(processes = Number(values.processes), prefix = 'gw'): Promise<Record<string, unknown>> {
  const tls = tlsMaterial();
  const sink = await startSink(0, tls?.sink);
  const gateways: Awaited<ReturnType<typeof startGateway>>[] = [];
  for (let i = 0; i < processes; i++) gateways.push(await startGateway(writeConfig(sink.port, tls?.caFile, `${prefix}-${i}`)));
  const gatewayCpu = () => gateways.reduce((sum, running) => sum + cpuSeconds(running.child.pid!), 0);
  const natsCpu = () => (nats === undefined ? 0 : cpuSeconds(nats.pid));
  const load = generate(gateways.map((running) => running.ingest), { connections: Number(values.connections), rate: values.rate === undefined ? undefined : Number(values.rate), maxEvents: Number(values['max-events']) });
  await sleep(Number(values.warmup) * 1000);
  sink.reset();
  load.measuring = true;
  const before = { accepted: load.accepted, sink: await sink.stats(), cpu: gatewayCpu(), natsCpu: natsCpu(), sinkCpu: cpuSeconds(sink.child.pid!), generatorCpu: cpuSeconds(process.pid), at: performance.now() };
  await sleep(Number(values.duration) * 1000);
  const after = { accepted: load.accepted, sink: await sink.stats(), cpu: gatewayCpu(), natsCpu: natsCpu(), sinkCpu: cpuSeconds(sink.child.pid!), generatorCpu: cpuSeconds(process.pid), at: performance.now() };
  load.measuring = false;
  const requests = load.latencies.sort((a, b) => a - b);
  const requestPercentile = (p: number) => Math.round((requests[Math.min(requests.length - 1, Math.floor(requests.length * p))] ?? 0) * 10) / 10;
  await load.stop();
  const expected = load.accepted * subscriptions;
  await waitFor(async () => (await sink.stats()).events >= expected, 120_000);
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
    connections: Number(values.connections),
    rate: values.rate === undefined ? null : Number(values.rate),
    events_per_s: Math.round((after.accepted - before.accepted) / seconds),
    delivered_per_s: Math.round((after.sink.events - before.sink.events) / seconds),
    mb_per_s: Math.round((((after.accepted - before.accepted) / batchSize) * bodyBytes) / seconds / 1_048_576 * 10) / 10,
    p50_ms: percentile(after.sink.histogram, 0.5),
    p99_ms: percentile(after.sink.histogram, 0.99),
    request_p50_ms: requestPercentile(0.5),
    request_p99_ms: requestPercentile(0.99),
    cpu_pct: Math.round(((after.cpu - before.cpu) / seconds) * 100),
    ...(nats === undefined ? {} : { nats_cpu_pct: Math.round(((after.natsCpu - before.natsCpu) / seconds) * 100) }),
    // The rest of the machine's two cores: what the generator and the sink take from the gateway.
    generator_cpu_pct: Math.round(((after.generatorCpu - before.generatorCpu) / seconds) * 100),
    sink_cpu_pct: Math.round(((after.sinkCpu - before.sinkCpu) / seconds) * 100),
    // CPU per event delivered (per event accepted when nothing is delivered): comparable across
    // runs of different speed, and with Fluent Bit's figure from ../shared/peers.
    ...cpuPerEvent({ gateway: after.cpu - before.cpu, ...(nats === undefined ? {} : { nats: after.natsCpu - before.natsCpu }), generator: after.generatorCpu - before.generatorCpu, sink: after.sinkCpu - before.sinkCpu }, subscriptions === 0 ? after.accepted - before.accepted : after.sink.events - before.sink.events),
    rss_mb: rss,
    accepted: load.accepted,
    delivered: final.events,
    lost: Math.max(0, expected - final.events),
    refused: load.refused,
  };
}

async function backlog(count: number): Promise<Record<string, unknown>> {
  const tls = tlsMaterial();
  const port = await freePort();
  const file = writeConfig(port, tls?.caFile);
  const filling = await startGateway(file);
  const load = generate(filling.ingest, { connections: Number(values.connections), maxEvents: count });
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
  const child = spawn('bash', [script, values.duration === '20' ? '25' : values.duration, values.connections], { cwd: repository, env: { ...process.env, GW: repository }, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

if (values.peer) process.exit(await peer());
if (values.backend === 'jetstream') nats = await NatsServer.start(dir);
else if (values.backend !== 'file') throw new Error('--backend is file or jetstream');
process.on('exit', () => nats?.killNow());
const result = values.backlog === undefined ? await throughput() : await backlog(Number(values.backlog));
console.log(JSON.stringify(result));
if (nats !== undefined && values.backlog === undefined) {
  // The same load on one gateway with the file journal, in the same run: the yardstick JetStream is held to.
  await nats.stop();
  nats = undefined;
  const file = await throughput(1, 'file');
  console.log(JSON.stringify(file));
  const cpu = (line: Record<string, unknown>) => Number(line.us_cpu_per_event_gateway) + Number(line.us_cpu_per_event_nats ?? 0);
  console.log(JSON.stringify({ ratio_events_jetstream_file: Math.round((Number(result.events_per_s) / Number(file.events_per_s)) * 100) / 100, ratio_cpu_per_event_jetstream_file: Math.round((cpu(result) / cpu(file)) * 100) / 100, processes: result.processes }));
}
process.exit(0);
