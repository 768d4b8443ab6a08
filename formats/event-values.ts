// Reading a parsed (already redacted) event's optional members, as the formats that map it to
// another schema do (ELASTICSEARCH, OTLP, OCSF, CEF, LEEF): every member but id, recordedAt and
// action.type may be absent or of another type, and an empty string says nothing.

import { isFailureStatus } from '../src/event/result-status.js';

export type Json = Record<string, unknown>;

/** `value` when it is a JSON object (not an array, not null). */
export function section(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** `value` when it is a non-empty string. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The object without its undefined members; undefined when none is left (the schemas leave empty objects out). */
export function compact(object: Json): Json | undefined {
  const out: Json = {};
  for (const [key, value] of Object.entries(object)) if (value !== undefined) out[key] = value;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Whether the event's `result.status` says it failed. */
export function failed(event: Json): boolean {
  return isFailureStatus(section(event.result)?.status);
}
