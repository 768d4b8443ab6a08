// A gateway in this process on loopback ports, with its own temporary storage directory.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import { Gateway } from '../../src/gateway.js';
import { captureLogger } from './capture-logger.js';
import { tempDirClosing } from './temp-dir.js';

export const ingestToken = 'ingest-token-for-prod-0123';
export const devToken = 'ingest-token-for-dev-01234';
export const opsToken = 'ops-token-admin-metrics-0123';

/** A base file with environments prod and dev and three tokens; `extra` is appended (top-level keys). */
export async function startGateway(t: TestContext, options: { extra?: string; maxBodyKB?: number; tokens?: string; deliveryThread?: 'on' | 'off' } = {}) {
  let stop: () => Promise<void> = () => Promise.resolve();
  const dir = tempDirClosing(t, () => stop());
  const file = join(dir, 'gateway.yaml');
  const text = `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
  maxBodyKB: ${options.maxBodyKB ?? 4096}
${options.deliveryThread === undefined ? '' : `  deliveryThread: ${options.deliveryThread}\n`}environments: [ { id: prod }, { id: dev } ]
auth:
  tokens:
    - { name: collector, token: "${ingestToken}", scopes: [ingest], environments: [prod] }
    - { name: dev-collector, token: "${devToken}", scopes: [ingest], environments: [dev] }
    - { name: ops, token: "${opsToken}", scopes: [admin, metrics] }
${options.tokens ?? ''}${options.extra ?? ''}`;
  writeFileSync(file, text);
  const loaded = parseConfigText(text, file);
  const { logger, lines } = captureLogger();
  const gateway = await Gateway.start(loaded, logger);
  stop = () => gateway.stop();
  const { ingest, admin } = gateway.addresses();
  return { gateway, dir, lines, ingestUrl: `http://${ingest}`, adminUrl: `http://${admin}` };
}

/** POSTs a JSON body of events to environment prod with the ingest token. */
function post(ingestUrl: string, body: unknown): Promise<Response> {
  return fetch(`${ingestUrl}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Sends events; the status code. */
export async function postEvents(ingestUrl: string, body: unknown): Promise<number> {
  const response = await post(ingestUrl, body);
  await response.text();
  return response.status;
}

/** Sends events that must be accepted: anything but 202 fails the test, with the answer. */
export async function sendEvents(ingestUrl: string, body: unknown): Promise<void> {
  const response = await post(ingestUrl, body);
  assert.equal(response.status, 202, await response.text());
}

/** The gateway's metrics text, scraped over HTTP with the ops token. */
export async function scrape(adminUrl: string): Promise<string> {
  const response = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${opsToken}` } });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/** The value of one sample line, e.g. `siem_gateway_ingest_rejected_total{reason="too_large"}`; 0 when absent. */
export function sample(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
