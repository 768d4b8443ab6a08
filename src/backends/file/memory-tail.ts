// The newest durable batches, so subscriptions that keep up never touch the disk. Each batch is
// held as the bytes that were stored; its records are made once, by the first reader that needs
// them (without parsing the events), and every other reader shares them (immutable). Bounded by
// payload bytes; the oldest batches go first.
import type { JournalRecord } from '../../event/activity-event.js';
import { recordsOf, type BatchSource } from '../../event/stored-record.js';

/** A stored batch as the tail holds it; its records are made on first read and then shared. */
export interface TailBatch extends BatchSource {
  records?: JournalRecord[];
  /** The ingest scan packed once at append (packed-scan.ts): stored on disk and sent to the delivery thread. */
  packedScan?: Int32Array;
}

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

  constructor(readonly maxBytes: number) {}

  push(batch: TailBatch): void {
    this.batches.push(batch);
    this.bytes += batch.payload.length;
    while (this.bytes > this.maxBytes && this.batches.length - this.head > 1) {
      this.bytes -= this.batches[this.head]!.payload.length;
      this.batches[this.head] = undefined as unknown as TailBatch; // let the evicted batch be collected
      this.head++;
    }
    // Compact now and then instead of shifting on every eviction.
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
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
      const records = recordsFor(batch);
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
  }
}

function recordsFor(batch: TailBatch): JournalRecord[] {
  if (batch.records) return batch.records;
  try {
    batch.records = recordsOf(batch);
  } catch (error) {
    throw new UnreadableBatchError(batch.firstSeq, batch.firstSeq + batch.count - 1, (error as Error).message);
  }
  batch.events = undefined;
  batch.scanned = undefined;
  return batch.records;
}
