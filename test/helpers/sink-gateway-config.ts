// The configuration most process tests run: loopback listeners on port 0, storage in the test's
// directory, a collector (ingest) and an ops (admin, metrics) token, one environment `prod`, and
// one ND_JSON ACTIVITY subscription to a sink. Each test adds only what it is about.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingestToken, opsToken } from './in-process-gateway.js';

export interface SinkGatewayOptions {
  /** The subscription's id (default `sink`). */
  id?: string;
  /** Extra lines under `server:`, indented by two spaces. */
  server?: string;
  /** Extra keys for `storage`, e.g. `maxMB: 16`. */
  storage?: string;
  /** A `logging:` value, e.g. `{ deliveryFile: data/delivery.log }`. */
  logging?: string;
  /** Extra keys for `payloadOptions`, e.g. `maximumPayloadLimit: { … }`. */
  payload?: string;
}

/** Writes `<dir>/gateway.yaml` delivering to `url`, and returns its path. */
export function writeSinkGatewayConfig(dir: string, url: string, options: SinkGatewayOptions = {}): string {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
${options.server ?? ''}storage: { dir: data${options.storage === undefined ? '' : `, ${options.storage}`} }
environments: [ { id: prod } ]
auth:
  tokens:
    - { name: collector, token: "${ingestToken}", scopes: [ingest] }
    - { name: ops, token: "${opsToken}", scopes: [admin, metrics] }
${options.logging === undefined ? '' : `logging: ${options.logging}\n`}subscriptions:
  - id: ${options.id ?? 'sink'}
    environment: prod
    format: ACTIVITY
    httpEndpoint: { url: "${url}" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20, ${options.payload === undefined ? '' : `${options.payload}, `}payloadFormat: { https: { format: ND_JSON } } }
`);
  return file;
}
