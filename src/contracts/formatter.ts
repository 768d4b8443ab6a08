// The Formatter contract: one output shape (SPEC §4.1), implemented in formats/*. A formatter
// turns one (already filtered and redacted) event into one JSON value; an encoder puts those
// values into a body. Formatters import only this file and the event type.
import type { ActivityEvent } from '../event/activity-event.js';
import type { ParsedTemplate } from '../config/placeholder-template.js';
import type { RequestTarget } from './transport.js';

export type HttpsEncoding = 'JSON_ARRAY' | 'ND_JSON';

export interface FormatContext {
  environment: string;
  encoding: HttpsEncoding;
  splunk?: { index?: string; source?: string; sourcetype?: string; host?: string };
  newRelic: { api: 'logs' | 'events' };
  /** Told when an event's attributes had to be renamed, dropped or cut to fit the destination. */
  onAttributes?: (adjusted: { renamed: number; dropped: number; truncated: number }) => void;
  /** Format TEMPLATE: the body, URL path and header templates, parsed when the subscription starts. */
  template?: RequestTemplate;
  /** Format SET: who issues the tokens, for whom, and the key that signs them. */
  securityEvents?: SecurityEventSettings;
  /** Format ELASTICSEARCH: the index (or data stream) each event is created in, and the ingest pipeline. */
  elasticsearch?: { index: string; pipeline?: string };
  /** Format OTLP: protobuf or JSON. */
  otlp?: { encoding: 'protobuf' | 'json' };
  /** Format OCSF: the schema version written in metadata.version, and whether the IdP's payload goes in raw_data. */
  ocsf?: { version: string; includeRaw: boolean };
}

/** A body the formatter frames itself: its items between `prefix` and `suffix`, `separator` between them. */
export interface BodyFraming {
  contentType: string;
  prefix: string;
  separator: string;
  suffix: string;
}

export interface RequestTemplate {
  body: ParsedTemplate;
  contentType: string;
  /** The URL's path and query, when they hold placeholders. */
  path?: ParsedTemplate;
  /** Header values that hold placeholders, by lower-case name. */
  headers: readonly (readonly [string, ParsedTemplate])[];
}

export interface SecurityEventSettings {
  issuer: string;
  audience?: string;
  /** JWS `alg` and `kid`, and a function signing the JWS signing input. */
  alg: 'RS256' | 'ES256';
  kid: string;
  sign(signingInput: string): Buffer;
}


/** What the receiver says it did with one event of a request it answered with a 2xx. */
export type ItemOutcome =
  | { outcome: 'delivered'; /** It was already there (a redelivery after a crash), not stored twice. */ duplicate?: boolean }
  | { outcome: 'retry'; status: number; reason?: string }
  | { outcome: 'rejected'; status?: number; reason: string };

/** A 2xx answer that does not say what became of each event: the whole request is sent again. */
export class UnreadableResponseError extends Error {
  override readonly name = 'UnreadableResponseError';
}

export interface Formatter {
  readonly name: 'ACTIVITY' | 'SPLUNK' | 'NEWRELIC' | 'TEMPLATE' | 'SET' | 'ELASTICSEARCH' | 'OTLP' | 'OCSF' | 'CEF' | 'LEEF';
  /**
   * One event as one JSON value (an element of the array, or one NDJSON line); text for `perRequest`
   * formats; text or bytes for `bodyFraming` formats. `receivedAt`: when the gateway accepted it (epoch ms).
   */
  format(event: ActivityEvent, context: FormatContext, receivedAt?: number): unknown;
  /**
   * One event per request, its body the text `format` returns (TEMPLATE, SET): batching and the
   * payload format do not apply.
   */
  perRequest?: {
    contentType: (context: FormatContext) => string;
    /** The path and headers of the request that carries `event`. */
    target?: (event: ActivityEvent, context: FormatContext) => RequestTarget;
  };
  /**
   * The same item as compact JSON bytes, in parts (joined once, into the body), built around the event's own stored bytes (already
   * redacted, in parts) without decoding them: the fast path. Must equal JSON.stringify(format(…)).
   */
  formatBytes?(event: readonly Buffer[], recordedAt: string, context: FormatContext): readonly Buffer[];
  /**
   * The same item as compact JSON text, written directly instead of built as an object and
   * serialised (NEWRELIC's flattened attributes). Must equal JSON.stringify(format(…)).
   */
  formatText?(event: ActivityEvent, context: FormatContext): string;
  /**
   * For JSON_ARRAY bodies that are not a plain array of items: the whole body with
   * `itemsMarker` where the list of items goes (New Relic's detailed Log API form).
   */
  arrayEnvelope?(context: FormatContext, itemsMarker: unknown): unknown;
  /**
   * Each item is text or bytes `format` writes whole (ELASTICSEARCH's action and document lines,
   * OTLP's messages), framed as this says whatever the payload format.
   */
  bodyFraming?: (context: FormatContext) => BodyFraming;
  /**
   * Reads a 2xx answer event by event, in request order (ELASTICSEARCH's bulk items, OTLP's partial
   * success): only what the receiver confirms counts as delivered. Throws UnreadableResponseError
   * when the answer does not account for every event.
   */
  readItems?(response: Buffer, events: number, context: FormatContext): readonly ItemOutcome[];
}
