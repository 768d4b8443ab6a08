// Defaults that depend on another field, so the schema cannot state them.
import type { HttpsPayloadFormat } from './gateway-config.js';
import type { RawSubscription } from './schema.js';

/** Splunk HEC and Elasticsearch's _bulk want lines (ND_JSON); PingOne's legacy default elsewhere is a JSON array. */
export function defaultHttpsFormat(format: RawSubscription['format']): HttpsPayloadFormat {
  return format === 'SPLUNK' || format === 'ELASTICSEARCH' ? 'ND_JSON' : 'JSON_ARRAY';
}

export const defaultEventsPerPayload = 500;
