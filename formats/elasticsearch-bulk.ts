// ELASTICSEARCH: the _bulk request's action line and how
// its response is read, item by item. Elasticsearch answers 200 to a bulk request whose items
// failed; each item carries its own status (Bulk API: "The response ... contains the individual
// results of each operation in the request, returned in the order submitted"). `errors: false` is
// not taken on trust: only the items say what was indexed.
//   - 2xx: indexed.
//   - 409 `version_conflict_engine_exception` on `create`: a document with this event's id is
//     already there (a redelivery after a crash): delivered, not stored twice.
//   - 429 and 5xx: retried alone, in order, before the subscription moves on.
//   - any other status (400 mapping errors, 404 a missing pipeline…): a dead letter carrying the
//     item's error.type and error.reason.

import { UnreadableResponseError, type ItemOutcome } from '../src/contracts/formatter.js';

/** The action line for one event: `create` (never `index`, which would overwrite) with its id. */
export function bulkActionLine(index: string, id: string, pipeline?: string): string {
  return JSON.stringify({ create: { _index: index, _id: id, ...(pipeline === undefined ? {} : { pipeline }) } });
}

/** Each item's outcome, in request order; throws UnreadableResponseError when the response does not account for exactly `events` items. */
export function bulkItemOutcomes(body: string, events: number): ItemOutcome[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new UnreadableResponseError('the bulk response is not JSON');
  }
  const items = (parsed as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) throw new UnreadableResponseError('the bulk response has no items array');
  if (items.length !== events) throw new UnreadableResponseError(`the bulk response holds ${items.length} items for ${events} events`);
  return items.map((item, index): ItemOutcome => {
    const result = (item as { create?: unknown } | null)?.create as { status?: unknown; error?: { type?: unknown; reason?: unknown } } | undefined;
    if (result === undefined || typeof result.status !== 'number') throw new UnreadableResponseError(`bulk item ${index} has no create.status`);
    const { status } = result;
    const errorType = typeof result.error?.type === 'string' ? result.error.type : undefined;
    if (status >= 200 && status < 300) return { outcome: 'delivered' };
    if (status === 409 && errorType === 'version_conflict_engine_exception') return { outcome: 'delivered', duplicate: true };
    const reason = [errorType, typeof result.error?.reason === 'string' ? withoutValues(result.error.reason) : undefined].filter((part) => part !== undefined).join(': ');
    if (status === 429 || status >= 500) return { outcome: 'retry', status, ...(reason === '' ? {} : { reason }) };
    return { outcome: 'rejected', status, reason: reason === '' ? `item answered ${status}` : reason };
  });
}

/**
 * An item's reason without the event data Elasticsearch quotes in it ("… Preview of field's value:
 * 'alice'"), and at most 500 characters: it goes into logs, which never echo event data.
 */
function withoutValues(reason: string): string {
  const preview = reason.search(/[.,]?\s*Preview of field's value:/);
  const kept = preview === -1 ? reason : reason.slice(0, preview);
  return kept.length > 500 ? `${kept.slice(0, 500)}…` : kept;
}
