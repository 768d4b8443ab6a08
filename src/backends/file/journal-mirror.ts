// The journal as the delivery thread sees it. The main thread owns the files, the cursors and
// retention (a FileJournal); it tells this mirror of every durable batch (its stored bytes and
// ingest scan, copied once into memory of their own) and of every change to the segment list.
// Readers here serve caught-up subscriptions from the mirror's own memory tail and lagging ones
// from the segment files, through the page cache, exactly as a FileJournalReader does there.
// Cursors, damage and what the readers hold go back to the owner.
import type { StartAt } from '../../config/gateway-config.js';
import type { JournalRecord } from '../../event/activity-event.js';
import { abortable } from '../../util/abortable.js';
import { deferred } from '../../util/deferred.js';
import type { FoundDamage } from './damage-ledger.js';
import { FileJournalReader, type ReaderSource } from './file-journal-reader.js';
import type { AppendBatch, Journal, JournalReader, JournalStats } from '../../contracts/journal.js';
import { MemoryTail, type TailBatch } from './memory-tail.js';
import { compactBytes } from '../../util/compact-bytes.js';
import type { PayloadFormat } from '../../event/payload.js';
import { segmentHolding, type SegmentInfo } from './segment-file.js';

/** A durable batch as it crosses threads: its bytes in a buffer of their own. */
export interface MirroredBatch {
  firstSeq: number;
  count: number;
  environment: string;
  receivedAt: number;
  format: PayloadFormat;
  payload: Uint8Array;
  /** The ingest scan, packed; absent when the reader must scan (NDJSON, normalised webhooks). */
  scan?: Int32Array;
}

/**
 * One batch for the mirror, cloned when posted: its bytes compact (compactBytes), its scan as the
 * journal packed it at append (cloned too, not transferred: the tail that holds it stays here).
 */
export function mirroredBatch(tail: TailBatch): MirroredBatch {
  const scan = tail.packedScan;
  return { firstSeq: tail.firstSeq, count: tail.count, environment: tail.environment, receivedAt: tail.receivedAt, format: tail.format, payload: compactBytes(tail.payload), ...(scan === undefined ? {} : { scan }) };
}

/** What the mirror asks of the journal's owner. */
export interface JournalOwner {
  openCursor(subscriptionId: string, environment: string, startAt: StartAt): Promise<number>;
  commit(subscriptionId: string, upTo: number): Promise<void>;
  releaseCursor(subscriptionId: string): void;
  reportDamage(damage: FoundDamage, subscriptionId: string | undefined, fromSeq: number): void;
  noteHeld(subscriptionId: string, seq: number): void;
}

export class JournalMirror implements Journal, ReaderSource {
  readonly tail: MemoryTail;
  durableSeq: number;
  private segments: SegmentInfo[];
  private readonly cursors = new Map<string, number>();
  private appended = deferred<void>();
  private closed = false;

  constructor(
    private readonly owner: JournalOwner,
    start: { segments: readonly SegmentInfo[]; durableSeq: number },
    tailBytes = 8 << 20,
  ) {
    this.tail = new MemoryTail(tailBytes);
    this.segments = start.segments.map((segment) => ({ ...segment }));
    this.durableSeq = start.durableSeq;
  }

  /** Batches the owner made durable, in order. */
  received(batches: readonly MirroredBatch[], activeSegmentBytes: number): void {
    for (const batch of batches) {
      const payload = Buffer.from(batch.payload.buffer, batch.payload.byteOffset, batch.payload.byteLength);
      this.tail.push({ firstSeq: batch.firstSeq, count: batch.count, environment: batch.environment, receivedAt: batch.receivedAt, format: batch.format, payload, ...(batch.scan === undefined ? {} : { packedScan: batch.scan }) });
    }
    const active = this.segments.at(-1);
    if (active !== undefined) active.bytes = activeSegmentBytes;
    const last = batches.at(-1);
    if (last !== undefined) this.durableSeq = last.firstSeq + last.count - 1;
    const current = this.appended;
    this.appended = deferred<void>();
    current.resolve();
  }

  segmentsChanged(segments: readonly SegmentInfo[]): void {
    this.segments = segments.map((segment) => ({ ...segment }));
  }

  // ---- ReaderSource ------------------------------------------------------------------------------

  get firstAvailableSeq(): number {
    return this.segments[0]?.firstSeq ?? this.durableSeq + 1;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  segmentFor(seq: number): { segment: SegmentInfo; next: SegmentInfo | undefined } | undefined {
    return segmentHolding(this.segments, seq);
  }

  waitForAppend(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the journal is closed'));
    return signal ? abortable(this.appended.promise, signal) : this.appended.promise;
  }

  reportDamage(damage: FoundDamage, subscriptionId: string | undefined, fromSeq: number): void {
    this.owner.reportDamage(damage, subscriptionId, fromSeq);
  }

  // ---- Journal -----------------------------------------------------------------------------------

  append(_environment: string, _batch: AppendBatch): Promise<{ firstSeq: number; lastSeq: number }> {
    return Promise.reject(new Error('the delivery thread does not append'));
  }

  async openCursor(subscriptionId: string, environment: string, startAt: StartAt): Promise<number> {
    const seq = await this.owner.openCursor(subscriptionId, environment, startAt);
    this.cursors.set(subscriptionId, seq);
    return seq;
  }

  reader(afterSeq: number, subscriptionId?: string): JournalReader {
    const reader = new FileJournalReader(this, afterSeq + 1, subscriptionId);
    if (subscriptionId === undefined) return reader;
    // The owner counts retention drops after what the reader holds, as it does for its own readers.
    const owner = this.owner;
    return {
      get nextSeq() {
        return reader.nextSeq;
      },
      async read(max: number, signal?: AbortSignal): Promise<JournalRecord[]> {
        const records = await reader.read(max, signal);
        owner.noteHeld(subscriptionId, reader.heldSeq);
        return records;
      },
      close: () => reader.close(),
    };
  }

  async commit(subscriptionId: string, upTo: number): Promise<void> {
    // Taken at once, as the owner takes it: the backlog reads it.
    this.cursors.set(subscriptionId, Math.max(this.cursors.get(subscriptionId) ?? 0, upTo));
    await this.owner.commit(subscriptionId, upTo);
  }

  releaseCursor(subscriptionId: string): void {
    this.cursors.delete(subscriptionId);
    this.owner.releaseCursor(subscriptionId);
  }

  removeCursor(_subscriptionId: string): Promise<void> {
    return Promise.reject(new Error('the delivery thread does not remove cursors'));
  }

  stats(): JournalStats {
    return { firstSeq: this.firstAvailableSeq, lastSeq: this.durableSeq, bytes: 0, maxBytes: 0, segments: this.segments.length, cursors: Object.fromEntries(this.cursors), failed: false };
  }

  close(): Promise<void> {
    this.closed = true;
    this.tail.clear();
    this.appended.reject(new Error('the journal is closed'));
    this.appended.promise.catch(() => undefined);
    return Promise.resolve();
  }
}
