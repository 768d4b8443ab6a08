// ELASTICSEARCH (issue 30, not yet a subscription format): the _bulk request's action line and how
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

/** The action line for one event: `create` (never `index`, which would overwrite) with its id. */
export function bulkActionLine(index: string, id: string, pipeline?: string): string {
  return JSON.stringify({ create: { _index: index, _id: id, ...(pipeline === undefined ? {} : { pipeline }) } });
}

export type BulkItemOutcome =
  | { outcome: 'indexed'; status: number; duplicate: boolean }
  | { outcome: 'retry'; status: number; errorType?: string; reason?: string }
  | { outcome: 'rejected'; status: number; errorType?: string; reason?: string };

/** Why a bulk response cannot be read item by item (the whole request is then retried). */
export class UnreadableBulkResponseError extends Error {}

/** Each item's outcome, in request order; throws UnreadableBulkResponseError when the response does not account for exactly `events` items. */
export function bulkItemOutcomes(body: string, events: number): BulkItemOutcome[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new UnreadableBulkResponseError('the bulk response is not JSON');
  }
  const items = (parsed as { items?: unknown }).items;
  if (!Array.isArray(items)) throw new UnreadableBulkResponseError('the bulk response has no items array');
  if (items.length !== events) throw new UnreadableBulkResponseError(`the bulk response holds ${items.length} items for ${events} events`);
  return items.map((item, index) => {
    const result = (item as { create?: unknown } | null)?.create as { status?: unknown; error?: { type?: unknown; reason?: unknown } } | undefined;
    if (result === undefined || typeof result.status !== 'number') throw new UnreadableBulkResponseError(`bulk item ${index} has no create.status`);
    const { status } = result;
    const errorType = typeof result.error?.type === 'string' ? result.error.type : undefined;
    const reason = typeof result.error?.reason === 'string' ? result.error.reason : undefined;
    const detail = { ...(errorType === undefined ? {} : { errorType }), ...(reason === undefined ? {} : { reason }) };
    if (status >= 200 && status < 300) return { outcome: 'indexed', status, duplicate: false };
    if (status === 409 && errorType === 'version_conflict_engine_exception') return { outcome: 'indexed', status, duplicate: true };
    if (status === 429 || status >= 500) return { outcome: 'retry', status, ...detail };
    return { outcome: 'rejected', status, ...detail };
  });
}
