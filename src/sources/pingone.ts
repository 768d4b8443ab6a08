// PingOne subscription deliveries (ACTIVITY format): a JSON array of up to 500 events, or NDJSON,
// admitted by the bearer token or basic credentials configured on the source (PingOne signs
// nothing: its subscriptions send custom headers). The events are stored as sent, checked by the
// events API's own reader (the same all-or-nothing rules and limits).
import { Readable } from 'node:stream';
import { sameSecret } from '../auth/token-authenticator.js';
import type { ActivityEvent } from '../event/activity-event.js';
import { IngestError } from '../ingest/ingest-error.js';
import { readEvents } from '../ingest/read-events.js';
import { header, SourceRejection, type SourceType } from './source-types.js';

export function pingOneSource(limitBytes: () => number): SourceType {
  return {
    admit(source, request) {
      const authorization = header(request, 'authorization') ?? '';
      const expected = source.token !== undefined ? `Bearer ${source.token}` : `Basic ${Buffer.from(`${source.basicAuth!.username}:${source.basicAuth!.password}`).toString('base64')}`;
      if (!sameSecret(authorization.trim(), expected)) throw new SourceRejection(401, 'unauthorized', 'the Authorization header does not carry the configured credentials');
    },

    async normalise(_source, request) {
      const type = String(request.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
      const format = type === 'application/x-ndjson' || type === 'application/ndjson' ? 'ndjson' : type === 'application/json' ? 'json' : undefined;
      if (format === undefined) throw new SourceRejection(415, 'unsupported_media_type', 'PingOne sends application/json (or NDJSON)');
      const encoding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      try {
        const read = await readEvents(Readable.from([request.body]), { format, gzip: encoding === 'gzip', limitBytes: limitBytes() });
        const text = read.payload.bytes.toString('utf8');
        const events = read.events ?? (read.payload.format === 'ndjson' ? text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as ActivityEvent) : ([JSON.parse(text)].flat() as ActivityEvent[]));
        return { events, unknownTypes: 0, raw: read.payload };
      } catch (error) {
        if (!(error instanceof IngestError)) throw error;
        throw new SourceRejection(error.status === 413 ? 413 : 400, error.status === 413 ? 'too_large' : error.reason === 'invalid_event' ? 'invalid_event' : 'malformed', error.message);
      }
    },
  };
}
