// The newest durable batches, so subscriptions that keep up never touch the disk. Each batch is
// held as the bytes that were stored and its packed scan. Records are made from them without
// parsing the events. The newest batches' records are made once, by the first reader that needs
// them, and shared by every other reader (immutable, redaction included). Further back, a reader
// makes its own: records kept for the whole tail outlived two young collections, were promoted and
// then died in the old generation, a major collection a second under load. Bounded by payload
// bytes; the oldest batches go first.
import type { JournalRecord } from '../../event/activity-event.js';
import { recordsOf, type BatchSource } from '../../event/stored-record.js';

/** A stored batch as the tail holds it; while it is among the newest, its records are made on first read and then shared. */
export interface TailBatch extends BatchSource {
  records?: JournalRecord[];
}

/** Events whose records the tail keeps for sharing: the newest batches holding up to this many. */
export const sharedRecordEvents = 4096;

/** A stored payload that does not parse (the journal reports it as corrupt and skips it). */
export class UnreadableBatchError extends Error {
  constructor(
    readonly fromSeq: number,
    readonly toSeq: number,
    reason: string,
  ) {
    super(reason);
  }
}

export class MemoryTail {
  private batches: TailBatch[] = [];
  private head = 0;
  private bytes = 0;
  /** The oldest batch whose records may be kept, and the events from it to the newest. */
  private sharedFrom = 0;
  private sharedEvents = 0;

  constructor(readonly maxBytes: number) {}

  push(batch: TailBatch): void {
    this.batches.push(batch);
    this.bytes += batch.payload.length;
    this.sharedEvents += batch.count;
    while (this.bytes > this.maxBytes && this.batches.length - this.head > 1) this.evictOldest();
    while (this.sharedEvents > sharedRecordEvents && this.sharedFrom < this.batches.length - 1) {
      const older = this.batches[this.sharedFrom++]!;
      this.sharedEvents -= older.count;
      older.records = undefined;
    }
    // Compact now and then instead of shifting on every eviction.
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.sharedFrom -= this.head;
      this.head = 0;
    }
  }

  private evictOldest(): void {
    const oldest = this.batches[this.head]!;
    this.bytes -= oldest.payload.length;
    if (this.sharedFrom === this.head) {
      this.sharedEvents -= oldest.count;
      this.sharedFrom++;
    }
    this.batches[this.head] = undefined as unknown as TailBatch; // let the evicted batch be collected
    this.head++;
  }

  /** Seq of the oldest record held, or Infinity when empty. */
  get firstSeq(): number {
    return this.batches[this.head]?.firstSeq ?? Number.POSITIVE_INFINITY;
  }

  /** Up to `max` records starting at `seq`; empty when `seq` is not held. */
  read(seq: number, max: number): JournalRecord[] {
    let index = this.find(seq);
    if (index < 0) return [];
    const out: JournalRecord[] = [];
    while (index < this.batches.length && out.length < max) {
      const batch = this.batches[index]!;
      const records = recordsFor(batch, index >= this.sharedFrom);
      const from = Math.max(0, seq - batch.firstSeq);
      const take = Math.min(records.length - from, max - out.length);
      if (out.length === 0 && from === 0 && take === records.length) out.push(...records);
      else for (let k = 0; k < take; k++) out.push(records[from + k]!);
      seq = batch.firstSeq + from + take;
      index++;
    }
    return out;
  }

  /** Index of the batch holding `seq` (binary search), or -1. */
  private find(seq: number): number {
    let low = this.head;
    let high = this.batches.length - 1;
    if (high < low || seq < this.batches[low]!.firstSeq) return -1;
    const last = this.batches[high]!;
    if (seq >= last.firstSeq + last.count) return -1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.batches[middle]!.firstSeq <= seq) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  clear(): void {
    this.batches = [];
    this.head = 0;
    this.bytes = 0;
    this.sharedFrom = 0;
    this.sharedEvents = 0;
  }
}

function recordsFor(batch: TailBatch, shared: boolean): JournalRecord[] {
  if (batch.records) return batch.records;
  let records: JournalRecord[];
  try {
    records = recordsOf(batch);
  } catch (error) {
    throw new UnreadableBatchError(batch.firstSeq, batch.firstSeq + batch.count - 1, (error as Error).message);
  }
  if (shared) batch.records = records;
  return records;
}
