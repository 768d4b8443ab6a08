// A real gateway process with two environments (prod, dev) and the tokens an attacker and an
// operator would hold: `root` (admin and metrics everywhere), `prod-admin` (admin of prod only),
// `prod-metrics` (metrics of prod only). ADMIN_TOKEN is in the process's environment and a dev
// secret file sits beside the configuration, so a test can look for them where they must not be.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { tempDirClosing } from '../helpers/temp-dir.js';

export const rootToken = 'root-admin-token-0123456789-secret';
export const prodAdmin = 'prod-admin-token-0123456789';
export const prodMetrics = 'prod-metrics-token-0123456789';
export const ingestToken = 'ingest-token-everywhere-0123';
/** The dev environment's Keycloak webhook secret, read from a file: it must never reach prod's admin. */
export const devSecret = 'dev-environment-private-secret-value-42';

export interface TenantGatewayOptions {
  /** Extra top-level YAML (subscriptions, network, keys…). */
  extra?: string;
  /** More sources, as list items indented by two spaces. */
  sources?: string;
  /** Extra lines under server:, indented by two spaces. */
  server?: string;
  /** Files to write in the directory before the start: relative path → content. */
  files?: Record<string, string>;
  /** More environment variables for the process. */
  env?: Record<string, string>;
  /** Waits for the listening line (default) or returns at once. */
  wait?: boolean;
}

export interface CallResult {
  status: number;
  etag: string | null;
  text: string;
  body: Record<string, unknown> & { problems?: { path: string; message: string }[]; error?: string; message?: string };
}

export async function startTenantGateway(t: TestContext, options: TenantGatewayOptions = {}) {
  let gateway: GatewayProcess | undefined;
  const dir = tempDirClosing(t, async () => {
    if (gateway === undefined || gateway.child.exitCode !== null || gateway.child.signalCode !== null) return;
    gateway.kill('SIGTERM');
    await gateway.exited;
  });
  writeFileSync(join(dir, 'dev-secret.txt'), `${devSecret}\n`);
  for (const [name, content] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const file = join(dir, 'gateway.yaml');
  const configText = (extra: string, sources = options.sources ?? '') =>
    `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
${options.server ?? ''}storage: { dir: data }
environments: [ { id: prod }, { id: dev } ]
auth:
  tokens:
    - { name: root, token: "\${env:ADMIN_TOKEN}", scopes: [admin, metrics] }
    - { name: prod-admin, token: "${prodAdmin}", scopes: [admin], environments: [prod] }
    - { name: prod-metrics, token: "${prodMetrics}", scopes: [metrics], environments: [prod] }
    - { name: collector, token: "${ingestToken}", scopes: [ingest] }
sources:
  - { id: dev-keycloak, type: keycloak, environment: dev, secret: "\${file:dev-secret.txt}" }
${sources}${extra}`;
  writeFileSync(file, configText(options.extra ?? ''));
  const env: Record<string, string> = { ADMIN_TOKEN: rootToken, ...options.env };
  /** Writes the configuration file again with these `extra` and `sources` (before a restart or SIGHUP). */
  const rewrite = (extra: string, sources?: string) => writeFileSync(file, configText(extra, sources));
  const start = async () => {
    gateway = GatewayProcess.start(file, env);
    const addresses = options.wait === false ? undefined : await gateway.listening();
    return { process: gateway, adminUrl: `http://${addresses?.admin}`, ingestUrl: `http://${addresses?.ingest}` };
  };
  let running = await start();
  const call = async (method: string, path: string, body?: unknown, token = prodAdmin, headers: Record<string, string> = {}): Promise<CallResult> => {
    const response = await fetch(`${running.adminUrl}${path}`, {
      method,
      headers: { ...(token === '' ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: CallResult['body'] = {};
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as CallResult['body']);
    } catch {
      // not JSON (metrics): the text is there
    }
    return { status: response.status, etag: response.headers.get('etag'), text, body: parsed };
  };
  const postEvents = async (environment: string, events: unknown[]) => {
    const response = await fetch(`${running.ingestUrl}/v1/environments/${environment}/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify(events) });
    assert.equal(response.status, 202, await response.text());
  };
  /** Stops the process (SIGTERM) and starts it again on the same directory, with `moreEnv` set. */
  const restart = async (moreEnv: Record<string, string> = {}) => {
    Object.assign(env, moreEnv);
    gateway!.kill('SIGTERM');
    await gateway!.exited;
    running = await start();
    return running;
  };
  return {
    dir,
    file,
    rewrite,
    call,
    postEvents,
    restart,
    get process() {
      return running.process;
    },
    get adminUrl() {
      return running.adminUrl;
    },
    get ingestUrl() {
      return running.ingestUrl;
    },
  };
}

/** A minimal HTTPS-protocol subscription body to `url` for the API. */
export function subscriptionTo(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { httpEndpoint: { url }, filterOptions: { includedActionTypes: ['*'] }, payloadOptions: { flushMs: 20 }, ...extra };
}

/** One event of environment `environment`. */
export function event(id: string): Record<string, unknown> {
  return { id, recordedAt: new Date().toISOString(), action: { type: 'USER.CREATED' } };
}
