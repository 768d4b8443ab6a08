// SPEC §4.5: what a failed attempt means, and how long to wait before the next one.

export type FailureAction = 'split' | 'retry';

/** 400, 413 and 422 say "this body": split it. Everything else (network errors, timeouts, 3xx, 408,
 *  429, 5xx, and 401/403/404, which credentials and routes fix) is retried, never dropped. */
export function onFailure(status: number | undefined): FailureAction {
  return status === 400 || status === 413 || status === 422 ? 'split' : 'retry';
}

export const backoff = { initialMs: 500, factor: 2, capMs: 60_000 } as const;

/** Exponential backoff with full jitter: a random wait in [0, min(cap, initial · 2^(attempt-1))]. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.initialMs * backoff.factor ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Splunk HEC's `invalid-event-number`: the events before it were indexed. */
export function hecAcceptedPrefix(bodyExcerpt: string | undefined): number | undefined {
  if (bodyExcerpt === undefined) return undefined;
  try {
    const value = (JSON.parse(bodyExcerpt) as Record<string, unknown>)['invalid-event-number'];
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
