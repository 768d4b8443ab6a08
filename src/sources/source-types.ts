// The contract of an IdP source (SPEC §3.2), one file per type in src/sources/: admit a request
// (its signature or credential), then turn its body into canonical events (§1). Refusals carry a
// fixed reason, the label of siem_gateway_source_rejected_total.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SourceConfig } from '../config/gateway-config.js';
import type { ActivityEvent } from '../event/activity-event.js';

export type SourceRejectReason = 'missing_signature' | 'bad_signature' | 'unauthorized' | 'malformed' | 'unsupported_media_type' | 'too_large' | 'invalid_event';

export class SourceRejection extends Error {
  constructor(
    readonly status: number,
    readonly reason: SourceRejectReason,
    message: string,
  ) {
    super(message);
  }
}

export interface SourceRequest {
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as sent: signatures are over these bytes. */
  body: Buffer;
}

export interface NormalisedEvents {
  events: ActivityEvent[];
  /** Events whose type the source does not know: stored with a generic action type, and counted. */
  unknownTypes: number;
  /** The stored bytes when the events are stored as sent (PingOne), instead of normalised. */
  raw?: { format: 'array' | 'object' | 'ndjson'; bytes: Buffer };
}

export interface SourceType {
  /** Throws SourceRejection unless the request is admitted. */
  admit(source: SourceConfig, request: SourceRequest): void;
  /** Throws SourceRejection when the body cannot be read. */
  normalise(source: SourceConfig, request: SourceRequest): NormalisedEvents | Promise<NormalisedEvents>;
}

/** HMAC of the body in hex, compared in constant time with a hex signature (either case). */
export function hmacMatches(algorithm: 'sha256' | 'sha1', secret: string, body: Buffer, signatureHex: string): boolean {
  const expected = createHmac(algorithm, secret).update(body).digest();
  if (!/^[0-9a-fA-F]+$/.test(signatureHex) || signatureHex.length !== expected.length * 2) return false;
  return timingSafeEqual(expected, Buffer.from(signatureHex, 'hex'));
}

/** A header's single value. */
export function header(request: SourceRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The body as a JSON object, or a `malformed` refusal. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text; a 400 naming the byte offset when it is not UTF-8 (never read with replacement characters). */
export function utf8Text(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    // Where: fed a byte at a time, a streaming decoder throws at the first byte that cannot continue.
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let offset = 0;
    try {
      for (; offset < body.length; offset++) decoder.decode(body.subarray(offset, offset + 1), { stream: true });
    } catch {
      // offset is the first bad byte
    }
    throw new SourceRejection(400, 'malformed', `the body is not valid UTF-8 (at byte ${offset})`);
  }
}

export function jsonObject(body: Buffer, what: string): Record<string, unknown> {
  const source = utf8Text(body);
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    throw new SourceRejection(400, 'malformed', `the body is not JSON (a ${what} sends one JSON object)`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SourceRejection(400, 'malformed', `the body must be one JSON object (a ${what} event)`);
  return value as Record<string, unknown>;
}

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
export const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined);

/** Drops undefined members, so a normalised event holds only what the IdP said. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined && !(isObject(member) && Object.keys(member).length === 0))) as T;
}

/**
 * The IdP's body as `_original`, without the members that carry the client's IP address or user
 * agent: those go to the canonical `source` section, which leaves only when a subscription
 * exposes it. The body's own text when it has none of them.
 */
export function originalWithout(text: string, body: Record<string, unknown>, paths: readonly (readonly string[])[]): string {
  /** The object holding the path's last member, when that member is there. */
  const holder = (root: unknown, path: readonly string[]): Record<string, unknown> | undefined => {
    let node = root;
    for (const part of path.slice(0, -1)) node = isObject(node) ? node[part] : undefined;
    return isObject(node) && Object.hasOwn(node, path.at(-1)!) ? node : undefined;
  };
  const present = paths.filter((path) => holder(body, path) !== undefined);
  if (present.length === 0) return text;
  const copy = structuredClone(body);
  for (const path of present) delete holder(copy, path)![path.at(-1)!];
  return JSON.stringify(copy);
}
