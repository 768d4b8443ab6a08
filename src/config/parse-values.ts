// Small string formats in the configuration, each parsed to a value or a readable reason.
import type { ListenAddress, StartAt } from './gateway-config.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(message: string): Parsed<T> => ({ ok: false, message });

/** `127.0.0.1:8080`, `[::1]:8080`, `localhost:0` (0 = any free port). */
export function parseListenAddress(text: string): Parsed<ListenAddress> {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65_535) return fail('must be host:port, for example 127.0.0.1:8080 or [::1]:8080');
  return ok({ host: match[1] ?? match[2]!, port });
}

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const earliestMs = Date.UTC(1970, 0, 1);
const latestMs = Date.UTC(10_000, 0, 1);

/** An ISO-8601 time with a zone, in the years 1970 to 9999 (what the journal's times can be). */
export function parseIsoTime(text: unknown): Parsed<Date> {
  const at = typeof text === 'string' && isoTime.test(text) ? new Date(text) : undefined;
  if (at === undefined || Number.isNaN(at.getTime())) return fail('must be an ISO-8601 time with a zone, for example 2026-01-31T00:00:00Z');
  if (at.getTime() < earliestMs || at.getTime() >= latestMs) return fail('must be in the years 1970 to 9999');
  return ok(at);
}

/** `latest` (default), `earliest`, or an ISO-8601 time with a zone. */
export function parseStartAt(text: string | undefined): Parsed<StartAt> {
  if (text === undefined || text === 'latest') return ok({ kind: 'latest' });
  if (text === 'earliest') return ok({ kind: 'earliest' });
  const at = parseIsoTime(text);
  return at.ok ? ok({ kind: 'time', at: at.value }) : fail(`must be latest, earliest or an ISO-8601 time with a zone${at.message.includes('years') ? ' in the years 1970 to 9999' : ''}, for example 2026-01-31T00:00:00Z`);
}

export interface Destination {
  url: URL;
  /** True for http:// and tcp://: accepted, but warned about. */
  plaintext: boolean;
}

const schemes = { HTTPS: ['https:', 'http:'], TCP_IP: ['tls:', 'tcp:'] } as const;

/** A subscription's destination URL for its protocol. */
export function parseDestinationUrl(text: string, protocol: 'HTTPS' | 'TCP_IP'): Parsed<Destination> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(protocol === 'HTTPS' ? 'must be an absolute URL such as https://siem.example:8088/services/collector' : 'must be a URL such as tls://collector.example:6514');
  }
  const allowed: readonly string[] = schemes[protocol];
  if (!allowed.includes(url.protocol)) return fail(`must use ${allowed.map((s) => `${s}//`).join(' or ')} for protocol ${protocol}`);
  if (url.hostname === '') return fail('must name a host');
  // Credentials in a URL end up in logs and metrics labels; there are dedicated fields for them.
  if (url.username !== '' || url.password !== '') return fail('must not contain credentials; use basicAuth or httpEndpoint.headers');
  if (protocol === 'TCP_IP' && (url.pathname !== '' && url.pathname !== '/' || url.search !== '')) return fail('must be scheme://host:port with no path or query');
  return ok({ url, plaintext: url.protocol === 'http:' || url.protocol === 'tcp:' });
}

/** An SD-PARAM name: printable US-ASCII without '=', space, ']' and '"', 1 to 32 characters. */
export function isStructuredDataName(name: string): boolean {
  return /^[\x21-\x7e]{1,32}$/.test(name) && !/[= \]"]/.test(name);
}
