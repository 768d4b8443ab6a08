// A payload as the client sent it: the JSON bytes that hold exactly a batch's events, stored as
// they are (never re-serialised) and parsed only where something needs the objects.
import type { ActivityEvent } from './activity-event.js';

/** How the payload holds its events. */
export type PayloadFormat = 'array' | 'object' | 'ndjson';

export interface RawPayload {
  format: PayloadFormat;
  /** UTF-8 JSON holding exactly the appended events, in order. */
  bytes: Buffer;
}

/** The events of a stored payload, parsed; throws when the payload does not hold `count` of them. */
export function parsePayload(batch: { format: PayloadFormat; payload: Buffer; count: number }): ActivityEvent[] {
  const text = batch.payload.toString('utf8');
  let events: ActivityEvent[];
  if (batch.format === 'array') events = JSON.parse(text) as ActivityEvent[];
  else if (batch.format === 'object') events = [JSON.parse(text) as ActivityEvent];
  else events = text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as ActivityEvent);
  if (events.length !== batch.count) throw new Error(`the payload holds ${events.length} events, the header says ${batch.count}`);
  return events;
}
