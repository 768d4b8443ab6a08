// The newest durable records, parsed, so subscriptions that keep up never touch the disk.
// Bounded by the bytes of event JSON it holds; the oldest records fall out first.
import type { JournalRecord } from '../event.js';

export class MemoryTail {
  private records: JournalRecord[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Appends records whose seqs follow the last one held; `eventBytes` is each one's JSON size. */
  push(records: readonly JournalRecord[], eventBytes: number): void {
    for (const record of records) {
      this.records.push(record);
      this.sizes.push(eventBytes);
    }
    this.bytes += eventBytes * records.length;
    while (this.bytes > this.maxBytes && this.records.length - this.head > 1) {
      this.bytes -= this.sizes[this.head]!;
      this.head++;
    }
    // Compact now and then instead of shifting on every eviction.
    if (this.head > 4096 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  /** Seq of the oldest record held, or Infinity when empty. */
  get firstSeq(): number {
    return this.records[this.head]?.seq ?? Number.POSITIVE_INFINITY;
  }

  /** Up to `max` records starting at `seq`; empty when `seq` is not held. */
  read(seq: number, max: number): JournalRecord[] {
    const first = this.firstSeq;
    if (seq < first) return [];
    const start = this.head + (seq - first);
    if (start >= this.records.length) return [];
    return this.records.slice(start, Math.min(start + max, this.records.length));
  }

  clear(): void {
    this.records = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
  }
}
