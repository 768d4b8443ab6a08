// What one request becomes in the JetStream journal: as few messages as fit, each holding its
// events as the client sent them (see message-seqs.ts for their seqs).
import type { AppendBatch } from '../../contracts/journal.js';
import { capturedText, scanJson, type ScannedEvent } from '../../event/json-validator.js';
import { maxJsonDepth } from '../../event/validate-event.js';
import type { OutgoingMessage } from './jetstream-publisher.js';

/** Bytes of one message at most: under nats-server's default max_payload (1 MiB), with room for headers. */
const messageBytes = 900 * 1024;

/**
 * A request's events as messages: the client's bytes as one message when they fit (an array or an
 * object, as sent), else arrays of its events' own bytes cut at `messageBytes`. IdP webhook
 * deliveries that JetStream is to deduplicate go one event per message, the event id its Nats-Msg-Id.
 */
export function messagesOf(batch: AppendBatch): OutgoingMessage[] {
  const bytes = batch.payload.bytes;
  if (!batch.deduplicate && batch.payload.format !== 'ndjson' && bytes.length <= messageBytes) return [{ bytes, count: batch.count }];
  let events: { id: string | undefined; bytes: Buffer }[];
  let scanned = batch.payload.format === 'ndjson' ? undefined : batch.scanned;
  if (scanned === undefined && batch.events !== undefined) events = batch.events.map((event) => ({ id: event.id, bytes: Buffer.from(JSON.stringify(event)) }));
  else {
    if (scanned === undefined) {
      const found: ScannedEvent[] = [];
      scanJson(bytes, maxJsonDepth, 0, found);
      scanned = found;
    }
    events = scanned.map((event) => ({ id: event.id === undefined ? undefined : capturedText(bytes, event.id), bytes: bytes.subarray(event.start, event.end) }));
  }
  if (batch.deduplicate) return events.map((event) => ({ bytes: event.bytes, count: 1, ...(event.id === undefined ? {} : { id: event.id }) }));
  const messages: OutgoingMessage[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  const cut = () => {
    if (parts.length === 0) return;
    messages.push({ bytes: Buffer.concat([Buffer.from('['), ...parts.flatMap((part, i) => (i === 0 ? [part] : [comma, part])), Buffer.from(']')]), count: parts.length });
    parts = [];
    size = 0;
  };
  for (const event of events) {
    if (size + event.bytes.length + 2 > messageBytes) cut();
    parts.push(event.bytes);
    size += event.bytes.length + 1;
  }
  cut();
  return messages;
}

const comma = Buffer.from(',');
