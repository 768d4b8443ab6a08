// The canonical event (SPEC §1): the PingOne audit activity object. Only the fields the gateway
// itself relies on are typed; every other field is kept verbatim.
export interface ActivityEvent {
  id: string;
  recordedAt: string;
  action: { type: string; description?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** One event as stored: its place in the journal, its environment and when it was accepted. */
export interface JournalRecord {
  /** Position in the journal: 1, 2, 3, … without gaps. A JS number is exact up to 2^53. */
  seq: number;
  environment: string;
  /** Milliseconds since the epoch when the gateway accepted it. */
  receivedAt: number;
  event: ActivityEvent;
  /** The event's stored bytes and what was read from them without parsing, when available. */
  readonly raw?: RawEvent;
}

/** Where an event's JSON sits in its batch, and what the pipeline reads from it without parsing. */
export interface RawEvent {
  bytes: Buffer;
  start: number;
  end: number;
  actionType: string;
  recordedAt: string;
  /** The top-level source member, when there is exactly one. */
  source?: { keyStart: number; valueStart: number; valueEnd: number };
  /** True when the bytes can go into any output as they are: one line, at most one source member. */
  spliceable: boolean;
  /** The event's JSON bytes per redaction, as views of `bytes` and new pieces (filled by the pipeline, shared by its subscriptions). */
  redacted?: (readonly Buffer[])[];
}
