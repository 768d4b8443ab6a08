// A fastify server for one listener (ingest or admin), plain or TLS, optionally requiring client
// certificates. Fastify's own request logging stays off: the gateway logs what operators need.
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config/gateway-config.js';

type ListenerConfig = GatewayConfig['server']['ingest'];

export function createListener(listener: ListenerConfig): FastifyInstance {
  const tls = listener.tls;
  const https = tls && {
    cert: readListenerFile(tls.certFile),
    key: readListenerFile(tls.keyFile),
    ...(tls.clientCaFile === undefined ? {} : { ca: readListenerFile(tls.clientCaFile), requestCert: true, rejectUnauthorized: true }),
  };
  // One instance type for plain and TLS listeners: the gateway uses only what both share.
  return Fastify({ logger: false, ...(https ? { https } : {}) });
}

function readListenerFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read listener TLS file ${file} (${(error as NodeJS.ErrnoException).code ?? 'read error'})`);
  }
}

/** `host:port` as bound, `[v6]:port` for IPv6. */
export function boundAddress(server: FastifyInstance): string {
  const address = server.server.address();
  if (address === null || typeof address === 'string') return String(address);
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
