// The journal contract (DESIGN.md): each storage backend implements it (src/backends/*/).
// Appends are durable when they resolve; readers see only durable records.
import type { StartAt } from '../config/gateway-config.js';
import type { ActivityEvent, JournalRecord } from '../event/activity-event.js';
import type { ScannedEvent } from '../event/json-validator.js';
import type { RawPayload } from '../event/payload.js';

export interface Journal {
  /** Stores one batch of events in order; resolves after it is durable. Rejects with JournalFullError or JournalFailedError. */
  append(environment: string, batch: AppendBatch): Promise<Appended>;
  /**
   * The subscription's cursor (last delivered seq), created at `startAt` if it has none. An open
   * cursor holds its undelivered events against retention; drops are counted per its environment.
   */
  openCursor(subscriptionId: string, environment: string, startAt: StartAt): Promise<number>;
  /**
   * Records with seq > afterSeq, in order; waits for appends. A subscription's reader names it, so
   * what the reader already holds is not counted as dropped when retention removes its segment.
   */
  reader(afterSeq: number, subscriptionId?: string): JournalReader;
  /** Acknowledges delivery up to `upTo` (inclusive); resolves when the cursor is durable. */
  commit(subscriptionId: string, upTo: number): Promise<void>;
  /** Stops holding a cursor (subscription removed); its file stays for a later re-add. */
  releaseCursor(subscriptionId: string): void;
  /** Forgets a deleted subscription's cursor, file included. */
  removeCursor(subscriptionId: string): Promise<void>;
  stats(): JournalStats;
  close(): Promise<void>;
}

/** The journal a backend keeps (not a mirror or a replay's view of it): it also finds seqs by time. */
export interface BackendJournal extends Journal {
  /** The seq just before the first record accepted at or after `at` (ms since the epoch); the journal's end when there is none. */
  seqBefore(at: number): Promise<number>;
}

/** Events to append: the JSON that holds exactly them, stored as is (no re-serialisation). */
export interface AppendBatch {
  count: number;
  payload: RawPayload;
  /** The parsed events, when the caller has them: readers then need not parse the payload. */
  events?: readonly ActivityEvent[];
  /** The ingest scan of a JSON payload: readers of the memory tail then need not scan it again. */
  scanned?: readonly ScannedEvent[];
  /**
   * IdP webhook deliveries, which IdPs retry: an event whose id the journal stored recently (JetStream:
   * within its duplicate window, whichever gateway stored it) is stored once and counted in
   * `duplicates`. Unset for the events API: every event it accepts is stored and delivered.
   */
  deduplicate?: boolean;
}

/** Where an append went: the seqs it took, and how many of its events were already stored (`deduplicate`). */
export interface Appended {
  firstSeq: number;
  lastSeq: number;
  duplicates?: number;
}

/** A batch for events that exist only as objects (tests, normalised IdP webhooks). */
export function batchOf(events: readonly ActivityEvent[]): AppendBatch {
  return { count: events.length, payload: { format: 'array', bytes: Buffer.from(JSON.stringify(events)) }, events };
}

export interface JournalReader {
  /** At least one record (up to `max`), waiting for appends when caught up. Rejects with the signal's reason. */
  read(max: number, signal?: AbortSignal): Promise<JournalRecord[]>;
  /** The seq the next read starts from. */
  readonly nextSeq: number;
  close(): Promise<void>;
}

export interface JournalStats {
  firstSeq: number;
  lastSeq: number;
  bytes: number;
  maxBytes: number;
  segments: number;
  cursors: Record<string, number>;
  /** Events each subscription has still to deliver, where the journal counts them itself (JetStream: per environment). */
  backlog?: Record<string, number>;
  failed: boolean;
  /** Group commits since start (file journal): one write and one fdatasync each, for every append waiting then. */
  commits?: CommitStats;
  /** Why it cannot take appends now, in a few words for /readyz (`jetstream unreachable`). */
  failure?: string;
}

export interface CommitStats {
  rounds: number;
  appends: number;
  bytes: number;
  /** Time spent in the rounds' writes and syncs, as the event loop saw it. */
  writeSeconds: number;
  syncSeconds: number;
}

/** Dropped by retention (age or size) before a subscription delivered them. */
export interface DropReport {
  subscriptionId: string;
  environment: string;
  count: number;
  fromSeq: number;
  toSeq: number;
  reason: 'age' | 'size' | 'corrupt';
}

export class JournalFullError extends Error {
  readonly code = 'JOURNAL_FULL';
  constructor(readonly retryAfterSeconds: number) {
    super('the journal is full (storage.maxMB) and storage.whenFull is reject');
  }
}

export class JournalFailedError extends Error {
  readonly code = 'JOURNAL_FAILED';
  constructor(
    cause: unknown,
    readonly retryAfterSeconds: number,
  ) {
    super(`the journal cannot write: ${(cause as Error).message ?? String(cause)}`, { cause });
  }
}
