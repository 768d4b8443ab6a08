// HTTPS (and plain HTTP) delivery on an undici Pool per subscription: keep-alive, connect and
// request timeouts, custom headers, basic auth, optional gzip, redirects not followed. TLS is
// verified against the system CAs plus the subscription's trusted certificates unless untrusted
// mode is on; a client key pair gives mTLS. Key and certificate files are watched and the pool is
// rebuilt when they change, so certificates rotate without a restart.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { buildConnector, Pool } from 'undici';
import { DestinationRefusedError, isDestinationRefused, type DestinationPolicy } from '../src/network/destination-policy.js';
import type { EncodedBatch, SendResult, TlsDetails, Transport } from '../src/contracts/transport.js';
import { WatchedTlsMaterial, describeError, type TlsMaterialOptions } from './tls-material.js';
import { OAuth2TokenSource, TokenRequestError, type OAuth2Settings } from './oauth2-token.js';
import { signatureHeaders, type Signing } from './webhook-signature.js';

const gzipAsync = promisify(gzip);
const excerptBytes = 1024;
/** A response read whole (per-event answers) larger than this is not read: the attempt failed. */
export const maxResponseBytes = 16 * 1024 * 1024;
const maxRetryAfterMs = 600_000;

/** What the transport needs to know about its subscription, resolved by the engine. */
export interface HttpsTarget {
  url: URL;
  headers: Record<string, string>;
  basicAuth?: { username: string; password: string };
  compression: 'none' | 'gzip';
  timeoutMs: number;
  maxInFlight: number;
  verifyTlsCertificates: boolean;
  userAgent: string;
  /** Signature headers over each body sent. */
  signing?: Signing;
  /** Where connects may go (network.destinations), checked on each address tried. */
  policy?: DestinationPolicy;
  /** Keep the whole response body (bounded): the format reads it event by event. */
  readResponse?: boolean;
  /** A bearer token from an OAuth2 token endpoint on each request (client credentials). */
  oauth2?: OAuth2Settings;
}

export interface HttpsTransportOptions extends TlsMaterialOptions {
  target: HttpsTarget;
  now?: () => number;
}

export class HttpsTransport implements Transport {
  private pool: Pool;
  /** The token endpoint's pool, built like the destination's (TLS and network policy alike). */
  private tokenPool: Pool | undefined;
  private readonly tokens: OAuth2TokenSource | undefined;
  private readonly tls: WatchedTlsMaterial;
  private readonly path: string;
  private readonly fixedHeaders: Record<string, string>;
  private readonly now: () => number;

  constructor(private readonly options: HttpsTransportOptions) {
    const { target } = options;
    this.path = `${target.url.pathname}${target.url.search}`;
    this.now = options.now ?? Date.now;
    this.fixedHeaders = { 'user-agent': target.userAgent, ...lowerCaseKeys(target.headers) };
    if (target.basicAuth) this.fixedHeaders.authorization = `Basic ${Buffer.from(`${target.basicAuth.username}:${target.basicAuth.password}`).toString('base64')}`;
    if (target.compression === 'gzip') this.fixedHeaders['content-encoding'] = 'gzip';
    // New connections use new files; requests on the old pool finish first.
    this.tls = new WatchedTlsMaterial(options, () => {
      const old = [this.pool, this.tokenPool];
      this.pool = this.createPool(target.url, target.maxInFlight);
      if (target.oauth2 !== undefined) this.tokenPool = this.createPool(target.oauth2.tokenUrl, 1);
      for (const pool of old) void pool?.close().catch(() => undefined);
    });
    this.pool = this.createPool(target.url, target.maxInFlight);
    if (target.oauth2 !== undefined) {
      this.tokenPool = this.createPool(target.oauth2.tokenUrl, 1);
      this.tokens = new OAuth2TokenSource(target.oauth2, (path, headers, body, signal) => this.postToken(path, headers, body, signal), this.now);
    }
  }

  private createPool(url: URL, connections: number): Pool {
    const { target } = this.options;
    const options = { timeout: target.timeoutMs, ...this.tls.connectOptions(target.verifyTlsCertificates) };
    const { policy } = target;
    let connect: typeof options | buildConnector.connector = options;
    if (policy !== undefined) {
      // A literal address is never looked up: it is checked here; a name is checked per address by the lookup.
      const port = portOf(url);
      const connector = buildConnector({ ...options, lookup: policy.lookupFor(port) });
      connect = (opts, callback) => {
        const refused = policy.literalRefusal(opts.hostname, port);
        if (refused === undefined) return connector(opts, callback);
        callback(new DestinationRefusedError(refused), null);
        return undefined;
      };
    }
    return new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: target.timeoutMs, bodyTimeout: target.timeoutMs, connect });
  }

  private async postToken(path: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
    const response = await this.tokenPool!.request({ path, method: 'POST', headers: { 'user-agent': this.options.target.userAgent, ...headers }, body, signal });
    const { head } = await readHead(response.body, excerptBytes * 16);
    return { status: response.statusCode, body: head.toString('utf8') };
  }

  clientCertificateExpiresAt(): Date | undefined {
    return this.tls.clientCertificateExpiresAt;
  }

  tlsDetails(): Promise<TlsDetails | undefined> {
    const { url, verifyTlsCertificates, timeoutMs } = this.options.target;
    if (url.protocol !== 'https:') return Promise.resolve(undefined);
    return this.tls.probe(url.hostname.replace(/^\[|\]$/g, ''), portOf(url), verifyTlsCertificates, timeoutMs, this.options.target.policy);
  }

  async send(batch: EncodedBatch, signal: AbortSignal): Promise<SendResult> {
    const body = this.options.target.compression === 'gzip' ? await gzipAsync(batch.body) : batch.body;
    const tokens = this.tokens;
    if (tokens === undefined) return this.post(batch, body, undefined, signal);
    const token = await this.bearer(tokens, signal);
    if (typeof token !== 'string') return token;
    const result = await this.post(batch, body, token, signal);
    if (result.status !== 401) return result;
    // Revoked or expired early: one new token, one more try; a second 401 is the attempt's answer.
    tokens.refused(token);
    const again = await this.bearer(tokens, signal);
    if (typeof again !== 'string') return { ...result, error: again.error };
    return this.post(batch, body, again, signal);
  }

  /** A token, or the failed attempt its endpoint's refusal makes. */
  private async bearer(tokens: OAuth2TokenSource, signal: AbortSignal): Promise<string | SendResult> {
    try {
      return await tokens.token(signal);
    } catch (error) {
      if (signal.aborted || !(error instanceof TokenRequestError)) throw error;
      return { ok: false, error: error.message };
    }
  }

  async query(path: string, body: Buffer, signal: AbortSignal): Promise<{ status: number; body: string }> {
    // The deliveries' headers but their content encoding: this body is sent as it is.
    const { 'content-encoding': _encoding, ...headers } = this.fixedHeaders;
    const response = await this.pool.request({ path, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, signal });
    const { head } = await readHead(response.body, excerptBytes * 1024);
    return { status: response.statusCode, body: head.toString('utf8') };
  }

  /** One request with the batch's body; HTTP statuses are results, network failures too. */
  private async post(batch: EncodedBatch, body: Buffer, bearer: string | undefined, signal: AbortSignal): Promise<SendResult> {
    try {
      const response = await this.pool.request({
        path: batch.target?.path ?? this.path,
        method: 'POST',
        headers: {
          ...this.fixedHeaders,
          ...batch.target?.headers,
          ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
          'content-type': batch.contentType,
          'x-siem-gateway-batch': batch.id,
          ...(this.options.target.signing === undefined ? {} : signatureHeaders(this.options.target.signing, body, batch.id, this.now())),
        },
        body,
        signal,
      });
      const keep = this.options.target.readResponse === true ? maxResponseBytes : excerptBytes;
      const { head, bytes } = await readHead(response.body, keep);
      const status = response.statusCode;
      const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.now());
      const result: SendResult = { ok: status >= 200 && status < 300, status, bodyExcerpt: head.subarray(0, excerptBytes).toString('utf8'), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
      if (keep === excerptBytes) return result;
      // An answer too big to read event by event cannot confirm anything: the request is sent again.
      if (result.ok && bytes > maxResponseBytes) return { ...result, ok: false, error: `the response is ${bytes} bytes, more than the ${maxResponseBytes} read event by event` };
      return { ...result, body: head };
    } catch (error) {
      if (signal.aborted) throw error;
      return { ok: false, error: describeError(error), ...(isDestinationRefused(error) ? { destinationRefused: true } : {}) };
    }
  }

  async close(): Promise<void> {
    this.tls.close();
    await Promise.all([this.pool.close(), this.tokenPool?.close()]);
  }
}

function portOf(url: URL): number {
  return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** The body's first `keep` bytes, and how many it had: the rest is read and dropped (the connection stays reusable). */
async function readHead(body: AsyncIterable<Buffer>, keep: number): Promise<{ head: Buffer; bytes: number }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    if (bytes < keep) chunks.push(chunk);
    bytes += chunk.length;
  }
  return { head: Buffer.concat(chunks).subarray(0, keep), bytes };
}

const imfFixdate = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Retry-After (RFC 9110 §10.2.3) in milliseconds from now, capped at 10 minutes: an integer of
 * seconds or an IMF-fixdate, nothing else (`1.5` is not a date from 2001). The pipeline takes it as
 * a floor under its own backoff, so 0 or a date in the past never means "at once".
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined) return undefined;
  let ms: number;
  if (/^\d{1,10}$/.test(text)) ms = Number(text) * 1000;
  else if (imfFixdate.test(text)) ms = Date.parse(text) - now;
  else return undefined;
  if (Number.isNaN(ms)) return undefined;
  return Math.min(Math.max(ms, 0), maxRetryAfterMs);
}
