// Gateway processes sharing one NATS JetStream journal: each with its own storage.dir and admin
// and ingest ports, the same stream, and subscriptions delivering ND_JSON to a sink path each.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { GatewayProcess } from './gateway-process.js';
import { startIdSink } from './http-sink.js';
import { until } from './manual-clock.js';
import { NatsServer } from './nats-server.js';
import { ingestToken, opsToken } from './in-process-gateway.js';

export interface ClusterGatewayOptions {
  servers: string[];
  stream: string;
  name: string;
  sinkUrl: string;
  subscriptions: string[];
  replicas?: number;
  leaseTtlSeconds?: number;
}

export interface RunningGateway {
  name: string;
  process: GatewayProcess;
  ingestUrl: string;
  adminUrl: string;
}

/**
 * A directory for nats-server stores and gateway homes, and `cleanup` to register what stops the
 * processes: those run (last registered first) before the directory is removed, so no process writes into it then.
 */
export function clusterDir(t: TestContext, prefix: string): { dir: string; cleanup: (step: () => unknown) => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const steps: (() => unknown)[] = [];
  t.after(async () => {
    for (const step of steps.reverse()) await step();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });
  return { dir, cleanup: (step) => steps.push(step) };
}

export async function startClusterGateway(dir: string, options: ClusterGatewayOptions): Promise<RunningGateway> {
  const home = join(dir, options.name);
  mkdirSync(home, { recursive: true });
  const file = join(home, 'gateway.yaml');
  writeFileSync(file, `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
storage:
  dir: data
  backend: jetstream
  jetstream: { servers: [${options.servers.map((server) => `"${server}"`).join(', ')}], stream: ${options.stream}, replicas: ${options.replicas ?? 1}, processName: ${options.name}, leaseTtlSeconds: ${options.leaseTtlSeconds ?? 3} }
environments: [ { id: prod } ]
auth:
  tokens:
    - { name: collector, token: "${ingestToken}", scopes: [ingest] }
    - { name: ops, token: "${opsToken}", scopes: [admin, metrics] }
subscriptions:
${options.subscriptions.map((id) => `  - id: ${id}
    environment: prod
    format: ACTIVITY
    httpEndpoint: { url: "${options.sinkUrl}/${id}" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20, payloadFormat: { https: { format: ND_JSON } } }
`).join('')}`);
  const process = GatewayProcess.start(file);
  // A cluster's first stream creation waits for its JetStream leader: more time than a file journal's start.
  const line = await process.waitFor((logged) => logged.msg === 'listening', 30_000);
  const { ingest, admin } = { ingest: String(line.ingest), admin: String(line.admin) };
  return { name: options.name, process, ingestUrl: `http://${ingest}`, adminUrl: `http://${admin}` };
}

export interface Readiness {
  status: string;
  reason?: string;
  process?: string;
  subscriptions: { id: string; state: string; owner?: string }[];
}

export async function readiness(adminUrl: string): Promise<Readiness> {
  const response = await fetch(`${adminUrl}/readyz`, { headers: { authorization: `Bearer ${opsToken}` } });
  return (await response.json()) as Readiness;
}

/** Events with ids `<prefix>-<i>`. */
export function events(prefix: string, count: number, from = 0): { id: string; recordedAt: string; action: { type: string } }[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${from + i}`, recordedAt: new Date().toISOString(), action: { type: 'USER.UPDATED' } }));
}

/** POSTs events to prod; the status (0 when the connection failed). */
export async function post(ingestUrl: string, body: unknown): Promise<number> {
  try {
    const response = await fetch(`${ingestUrl}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    await response.text();
    return response.status;
  } catch {
    return 0;
  }
}

/** The first occurrence of each id, in the order received: a redelivered suffix does not reorder. */
export function firstOccurrences(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => !seen.has(id) && seen.add(id));
}

/** One nats-server, an id sink and one gateway `gw-1` delivering subscription `siem` to it, its lease taken; all stopped after the test. */
export async function singleNodeGateway(t: TestContext, stream: string) {
  const { dir, cleanup } = clusterDir(t, `siem-gateway-${stream}-`);
  const nats = await NatsServer.start(dir);
  const { sink, ids } = await startIdSink();
  cleanup(async () => {
    await sink.close();
    await nats.stop();
  });
  const gateway = await startClusterGateway(dir, { servers: [nats.url], stream, name: 'gw-1', sinkUrl: sink.url, subscriptions: ['siem'] });
  cleanup(async () => {
    gateway.process.kill();
    await gateway.process.exited;
  });
  await until(async () => (await readiness(gateway.adminUrl)).subscriptions[0]?.owner === 'gw-1', 10_000, 'the lease');
  return { nats, gateway, ids };
}
