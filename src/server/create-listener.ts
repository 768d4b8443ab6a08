// A fastify server for one listener (ingest or admin), plain or TLS, optionally requiring client
// certificates. Fastify's own request logging stays off: the gateway logs what operators need.
// Connections and slow clients are bounded: at most server.maxConnections at once, the headers
// within server.headersTimeoutMs, the whole request within server.requestTimeoutMs.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { ListenerAddress } from '../network/destination-policy.js';

type ListenerConfig = GatewayConfig['server']['ingest'];
export type ConnectionLimits = Pick<GatewayConfig['server'], 'maxConnections' | 'headersTimeoutMs' | 'requestTimeoutMs'>;

/** Why the HTTP layer refused a request before any route saw it (the ingest_rejected_total reasons). */
export type ProtocolRefusal = 'too_many_connections' | 'headers_too_large' | 'request_timeout' | 'uri_too_long' | 'bad_request';

export function createListener(listener: ListenerConfig, limits: ConnectionLimits, onRefused: (reason: ProtocolRefusal) => void = () => undefined, bodyLimit?: number): FastifyInstance {
  const tls = listener.tls;
  const https = tls && {
    cert: readListenerFile(tls.certFile),
    key: readListenerFile(tls.keyFile),
    ...(tls.clientCaFile === undefined ? {} : { ca: readListenerFile(tls.clientCaFile), requestCert: true, rejectUnauthorized: true }),
  };
  const timeouts = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Timeouts are enforced by a periodic check: once a second, not Node's default 30 s.
    connectionsCheckingInterval: 1000,
  };
  const server = Fastify({
    logger: false,
    ...(bodyLimit === undefined ? {} : { bodyLimit }),
    serverFactory: (handler) => {
      const created: Server = https ? createHttpsServer({ ...https, ...timeouts }, handler) : createHttpServer(timeouts, handler);
      created.maxConnections = limits.maxConnections;
      // headersTimeout starts with the first byte: a connection that sends nothing is closed by
      // the idle timeout instead (also between keep-alive requests).
      created.setTimeout(limits.headersTimeoutMs);
      created.on('drop', () => onRefused('too_many_connections'));
      created.on('clientError', (error: NodeJS.ErrnoException) => {
        const reason = refusalOf(error.code);
        if (reason !== undefined) onRefused(reason);
      });
      return created;
    },
    // Refusals made before any route: a path parameter too long, a URL that cannot be decoded.
    // Counted, and answered without echoing the path.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      onRefused(tooLong ? 'uri_too_long' : 'bad_request');
      void (reply as unknown as FastifyReply).code(tooLong ? 414 : 400).send({ error: tooLong ? 'uri_too_long' : 'bad_request', message: tooLong ? 'a path segment is longer than 100 characters' : 'the URL cannot be decoded' });
    },
  });
  return server;
}

function refusalOf(code: string | undefined): ProtocolRefusal | undefined {
  if (code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout';
  if (code?.startsWith('HPE_')) return 'bad_request';
  return undefined; // the client went away (ECONNRESET and the like): nothing was refused
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

/** The bound address as the destination policy keeps it (the gateway's own listeners are never a destination). */
export function boundListener(server: FastifyInstance): ListenerAddress {
  const address = server.server.address() as AddressInfo;
  return { host: address.address, port: address.port };
}

/** Listens on `address`; a failure names the setting (server.<name>.listen). */
export async function listen(server: FastifyInstance, address: { host: string; port: number }, name: string): Promise<void> {
  try {
    await server.listen({ host: address.host, port: address.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot listen on ${address.host}:${address.port} for server.${name}.listen (${code})`);
  }
}
