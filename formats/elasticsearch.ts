// ELASTICSEARCH: Elasticsearch's or OpenSearch's _bulk API. Each event is two NDJSON lines, a
// `create` action naming its index and `_id` = the event id, then its ECS document; a redelivery
// after a crash is then a 409 the index recognises, not a second copy. The answer is read item by
// item (elasticsearch-bulk.ts): only what the index confirms counts as delivered.
import { compileIndexName, type IndexName } from '../src/config/index-name.js';
import type { FormatContext, Formatter } from '../src/contracts/formatter.js';
import type { ActivityEvent } from '../src/event/activity-event.js';
import { bulkActionLine, bulkItemOutcomes } from './elasticsearch-bulk.js';
import { ecsDocument } from './elasticsearch-document.js';

// The index template compiled once per context object (one per subscription).
const indexNames = new WeakMap<FormatContext, IndexName>();

function indexName(context: FormatContext): IndexName {
  let name = indexNames.get(context);
  if (name === undefined) {
    const settings = context.elasticsearch;
    if (settings === undefined) throw new Error('format ELASTICSEARCH needs elasticsearch.index');
    name = compileIndexName(settings.index);
    indexNames.set(context, name);
  }
  return name;
}

export const elasticsearchFormatter: Formatter = {
  name: 'ELASTICSEARCH',
  bodyFraming: () => ({ contentType: 'application/x-ndjson', prefix: '', separator: '\n', suffix: '\n' }),
  format(event: ActivityEvent, context: FormatContext) {
    return `${bulkActionLine(indexName(context)(event.recordedAt), event.id, context.elasticsearch?.pipeline)}\n${JSON.stringify(ecsDocument(event))}`;
  },
  readItems: (response, events) => bulkItemOutcomes(response.toString('utf8'), events),
};
