// SPEC §4.5: what a failed attempt means, and how long to wait before the next one.
import type { AttemptOutcome } from '../contracts/transport.js';

export type FailureAction = 'split' | 'retry';

/** 400, 413 and 422 say "this body": split it. Everything else (network errors, timeouts, 3xx, 408,
 *  429, 5xx, and 401/403/404, which credentials and routes fix) is retried, never dropped. So is a
 *  HEC 400 about the channel (codes 10 and 11): a setting to fix, not a bad event. */
export function onFailure(status: number | undefined, bodyExcerpt?: string): FailureAction {
  if (status === 400 && hecChannelProblem(bodyExcerpt) !== undefined) return 'retry';
  return status === 400 || status === 413 || status === 422 ? 'split' : 'retry';
}

/** What an attempt's result counts as. */
export function attemptOutcome(result: { ok: boolean; status?: number; destinationRefused?: boolean; bodyExcerpt?: string }): AttemptOutcome {
  if (result.ok) return 'delivered';
  if (result.destinationRefused) return 'destination_refused';
  return onFailure(result.status, result.bodyExcerpt) === 'split' ? 'refused' : 'failed';
}

const hecChannelProblems: Record<number, string> = {
  10: 'HEC code 10 (Data channel is missing): the token has indexer acknowledgement on; set splunk.indexerAck: true, which sends X-Splunk-Request-Channel',
  11: 'HEC code 11 (Invalid data channel): HEC does not take this subscription\'s X-Splunk-Request-Channel',
};

/** A HEC answer about the request channel, in words; undefined for any other answer. */
export function hecChannelProblem(bodyExcerpt: string | undefined): string | undefined {
  if (bodyExcerpt === undefined || !bodyExcerpt.includes('"code"')) return undefined;
  try {
    const code = (JSON.parse(bodyExcerpt) as { code?: unknown }).code;
    return typeof code === 'number' ? hecChannelProblems[code] : undefined;
  } catch {
    return undefined;
  }
}

/** HEC's `ackId` in a 200 answer (indexer acknowledgement on); undefined when it has none. */
export function hecAckId(bodyExcerpt: string | undefined): number | undefined {
  if (bodyExcerpt === undefined || !bodyExcerpt.includes('"ackId"')) return undefined;
  try {
    const ackId = (JSON.parse(bodyExcerpt) as { ackId?: unknown }).ackId;
    return typeof ackId === 'number' && Number.isSafeInteger(ackId) && ackId >= 0 ? ackId : undefined;
  } catch {
    return undefined;
  }
}

export const backoff = { initialMs: 500, factor: 2, capMs: 60_000 } as const;

/** Exponential backoff with full jitter: a random wait in [0, min(cap, initial · 2^(attempt-1))]. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.initialMs * backoff.factor ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Splunk HEC codes whose `invalid-event-number` is the 0-based position of the first bad event,
 * so the events before it were indexed. Real Splunk counts from 1 for code 7 (Incorrect index),
 * and other codes are not documented: those batches are split as for any 400.
 */
const hecZeroBasedCodes = new Set([6, 12, 13]);

/** Splunk HEC's `invalid-event-number`, for codes where it is known: the events before it were indexed. */
export function hecAcceptedPrefix(bodyExcerpt: string | undefined): number | undefined {
  if (bodyExcerpt === undefined) return undefined;
  try {
    const answer = JSON.parse(bodyExcerpt) as Record<string, unknown>;
    const value = answer['invalid-event-number'];
    if (typeof answer.code !== 'number' || !hecZeroBasedCodes.has(answer.code)) return undefined;
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The error code and description of an RFC 8935 refusal (`{"err": "invalid_key", "description":
 * "…"}`), as words for the dead letter's reason; undefined for any other body.
 */
export function setErrorDetail(bodyExcerpt: string | undefined): string | undefined {
  if (bodyExcerpt === undefined || !bodyExcerpt.trimStart().startsWith('{')) return undefined;
  try {
    const body = JSON.parse(bodyExcerpt) as { err?: unknown; description?: unknown };
    if (typeof body.err !== 'string' || !/^[a-z_]{1,64}$/.test(body.err)) return undefined;
    return typeof body.description === 'string' ? `${body.err} (${body.description.slice(0, 200)})` : body.err;
  } catch {
    return undefined;
  }
}
