// The Formatter contract: one output shape (SPEC §4.1), implemented in formats/*. A formatter
// turns one (already filtered and redacted) event into one JSON value; an encoder puts those
// values into a body. Formatters import only this file and the event type.
import type { ActivityEvent } from '../event.js';

export type HttpsEncoding = 'JSON_ARRAY' | 'ND_JSON';

export interface FormatContext {
  environment: string;
  encoding: HttpsEncoding;
  splunk?: { index?: string; source?: string; sourcetype?: string; host?: string };
  newRelic: { api: 'logs' | 'events' };
  /** Told when an event's attributes had to be renamed, dropped or cut to fit the destination. */
  onAttributes?: (adjusted: { renamed: number; dropped: number; truncated: number }) => void;
}

export interface Formatter {
  readonly name: 'ACTIVITY' | 'SPLUNK' | 'NEWRELIC';
  /** One event as one JSON value (an element of the array, or one NDJSON line). */
  format(event: ActivityEvent, context: FormatContext): unknown;
  /**
   * The same item as compact JSON text, built around the event's own compact JSON text (already
   * redacted) without parsing it: the fast path. Must equal JSON.stringify(format(…)).
   */
  formatJson?(eventJson: string, recordedAt: string, context: FormatContext): string;
  /**
   * For JSON_ARRAY bodies that are not a plain array of items: the whole body with
   * `itemsMarker` where the list of items goes (New Relic's detailed Log API form).
   */
  arrayEnvelope?(context: FormatContext, itemsMarker: unknown): unknown;
}
