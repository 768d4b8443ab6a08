// A test receiver for Elasticsearch's _bulk API, for the answers Fluent Bit's in_elasticsearch
// never gives (it answers 201 to every item). It follows the Bulk API reference
// (https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html):
//   - the body is NDJSON, an action line then a source line per `create`, ending with a newline;
//   - the answer is 200 with `{ took, errors, items }`, one item per action "in the order submitted",
//     each `{ create: { _index, _id, status, result? , error?: { type, reason } } }`;
//   - `create` on an `_id` the index already holds fails alone with 409
//     `version_conflict_engine_exception` ("[id]: version conflict, document already exists");
//   - a rejected write is 429 `es_rejected_execution_exception`; a mapping error is 400
//     `document_parsing_exception` ("failed to parse field [...] of type [...] in document with id '...'.
//     Preview of field's value: '...'").
// A test scripts what each event gets on each of its attempts; everything else is indexed.
import type { SinkAnswer, SinkRequest } from './http-sink.js';

export type ItemScript = (id: string, attempt: number) => 'indexed' | 'throttled' | 'mapping-error' | 'unavailable';

export class BulkReceiver {
  /** Indexed documents by index, then by _id (each stored once). */
  readonly indices = new Map<string, Map<string, Record<string, unknown>>>();
  /** The _ids of each request, in order. */
  readonly requests: string[][] = [];
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly script: ItemScript = () => 'indexed',
    /** Claim `errors: false` whatever the items say (a receiver that cannot be trusted on it). */
    private readonly lieAboutErrors = false,
  ) {}

  /** The ids stored, in the order they were stored, over every index. */
  storedIds(): string[] {
    return [...this.indices.values()].flatMap((documents) => [...documents.keys()]);
  }

  readonly handler = (request: SinkRequest): SinkAnswer => {
    if (!request.url.startsWith('/_bulk')) return { status: 404, body: '{"error":"no handler"}' };
    if (!request.body.endsWith('\n')) return { status: 400, body: '{"error":{"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\\n]"},"status":400}' };
    const lines = request.body.slice(0, -1).split('\n');
    const items: unknown[] = [];
    const ids: string[] = [];
    for (let at = 0; at < lines.length; at += 2) {
      const action = (JSON.parse(lines[at]!) as { create: { _index: string; _id: string } }).create;
      const source = JSON.parse(lines[at + 1]!) as Record<string, unknown>;
      const { _index: index, _id: id } = action;
      ids.push(id);
      const attempt = (this.attempts.get(id) ?? 0) + 1;
      this.attempts.set(id, attempt);
      const documents = this.indices.get(index) ?? new Map<string, Record<string, unknown>>();
      this.indices.set(index, documents);
      const base = { _index: index, _id: id };
      if (documents.has(id)) {
        items.push({ create: { ...base, status: 409, error: { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists (current version [1])`, index } } });
        continue;
      }
      const fate = this.script(id, attempt);
      if (fate === 'throttled') items.push({ create: { ...base, status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=0]' } } });
      else if (fate === 'unavailable') items.push({ create: { ...base, status: 503, error: { type: 'unavailable_shards_exception', reason: `[${index}][0] primary shard is not active Timeout: [1m]` } } });
      else if (fate === 'mapping-error') items.push({ create: { ...base, status: 400, error: { type: 'document_parsing_exception', reason: `[1:15] failed to parse field [user.id] of type [long] in document with id '${id}'. Preview of field's value: '${String((source.user as { id?: unknown } | undefined)?.id)}'` } } });
      else {
        documents.set(id, source);
        items.push({ create: { ...base, _version: 1, result: 'created', _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: documents.size - 1, _primary_term: 1, status: 201 } });
      }
    }
    this.requests.push(ids);
    const errors = !this.lieAboutErrors && items.some((item) => (item as { create: { status: number } }).create.status >= 300);
    return { status: 200, body: JSON.stringify({ took: 3, errors, items }) };
  };
}
