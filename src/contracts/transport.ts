// The Transport contract (DESIGN.md), implemented in transports/*: send one encoded batch and say
// what happened. HTTP statuses are results, not exceptions.
import type { JournalRecord } from '../event/activity-event.js';

export interface EncodedBatch {
  /** Stable for retries: `<subscription>:<first seq>-<last seq>`. */
  id: string;
  subscriptionId: string;
  environment: string;
  body: Buffer;
  contentType: string;
  /** Events in the body. */
  events: number;
  /** Journal range this batch acknowledges when delivered (filtered records included). */
  firstSeq: number;
  lastSeq: number;
  firstEventId: string;
  lastEventId: string;
  /** One event bigger than the payload limit, sent alone. */
  oversize: boolean;
  /** The events and their encoded items, so a refused batch can be split and its events dead-lettered. */
  records: readonly JournalRecord[];
  items: readonly Item[];
  /** One-event-per-request formats: the path and headers filled in for this event. */
  target?: RequestTarget;
}

/**
 * One event's encoded bytes, in parts: views of the stored event between a format's prefix and
 * suffix are joined once, into the body, not once per event.
 */
export type Item = readonly Buffer[];

/** The bytes of an item. */
export function itemBytes(item: Item): number {
  let bytes = 0;
  for (const part of item) bytes += part.length;
  return bytes;
}

/** A request's own path (and query) and headers, in place of the subscription's. */
export interface RequestTarget {
  path?: string;
  headers?: Record<string, string>;
}

export interface SendResult {
  ok: boolean;
  status?: number;
  /** From Retry-After, when the destination sent one. */
  retryAfterMs?: number;
  /** The start of the response body, for logs and dead letters. */
  bodyExcerpt?: string;
  /** The whole response body, when the subscription's format reads answers event by event. */
  body?: Buffer;
  /** What a 2xx answer said of each event, when it was read event by event (the delivery log). */
  itemCounts?: { delivered: number; retried: number; rejected: number };
  /** A network or TLS failure, in words. */
  error?: string;
  /** network.destinations refused the address: dead-lettered at once, never retried. */
  destinationRefused?: boolean;
}

export interface Transport {
  send(batch: EncodedBatch, signal: AbortSignal): Promise<SendResult>;
  /**
   * A JSON POST beside the deliveries, to `path` on the destination's origin with the same headers
   * and credentials (HEC's acknowledgement endpoint). Network failures throw.
   */
  query?(path: string, body: Buffer, signal: AbortSignal): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
  /** When the client certificate in use expires (mTLS), for the expiry metric and alert. */
  clientCertificateExpiresAt?(): Date | undefined;
  /** A TLS handshake with the destination, as sends make it (undefined for plaintext): the test-send route. */
  tlsDetails?(): Promise<TlsDetails | undefined>;
}

export interface TlsDetails {
  protocol?: string;
  peerCertificate?: { subject: string; issuer?: string; validTo: string };
  authorized?: boolean;
  authorizationError?: string;
  error?: string;
}

/** An attempt as metrics, the status route and the delivery log name it. */
export type AttemptOutcome = 'delivered' | 'partial' | 'refused' | 'failed' | 'destination_refused';

/** What happened to one attempt, for logs and metrics. */
export interface AttemptReport {
  batch: EncodedBatch;
  attempt: number;
  result: SendResult;
  outcome: AttemptOutcome;
  durationMs: number;
}
