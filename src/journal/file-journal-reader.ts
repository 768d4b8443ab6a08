// A reader over the journal: from the in-memory tail when it is caught up, from segment files
// when it lags. It only ever returns durable records, in seq order.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { JournalRecord } from '../event.js';
import type { JournalReader } from './journal.js';
import type { MemoryTail } from './memory-tail.js';
import { SegmentFileReader, type SegmentInfo } from './segment-file.js';

/** What a reader needs from the journal. */
export interface ReaderSource {
  readonly durableSeq: number;
  readonly firstAvailableSeq: number;
  readonly tail: MemoryTail;
  readonly isClosed: boolean;
  segmentFor(seq: number): { segment: SegmentInfo; next: SegmentInfo | undefined } | undefined;
  waitForAppend(signal?: AbortSignal): Promise<void>;
  reportCorrupt(file: string, offset: number, reason: string, fromSeq: number, toSeq: number): void;
}

export class FileJournalReader implements JournalReader {
  private disk: SegmentFileReader | undefined;
  private diskSegment: SegmentInfo | undefined;

  constructor(
    private readonly source: ReaderSource,
    public nextSeq: number,
  ) {}

  async read(max: number, signal?: AbortSignal): Promise<JournalRecord[]> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.source.isClosed) throw new Error('the journal is closed');
      if (this.nextSeq > this.source.durableSeq) {
        await this.source.waitForAppend(signal);
        continue;
      }
      if (this.nextSeq < this.source.firstAvailableSeq) {
        // Retention removed what this reader had not read; the journal counted and logged it.
        this.nextSeq = this.source.firstAvailableSeq;
        await this.closeDisk();
      }
      const fromMemory = this.source.tail.read(this.nextSeq, max);
      if (fromMemory.length > 0) {
        await this.closeDisk();
        this.nextSeq = fromMemory.at(-1)!.seq + 1;
        return fromMemory;
      }
      const fromDisk = await this.readDisk(max);
      if (fromDisk.length > 0) return fromDisk;
    }
  }

  private async readDisk(max: number): Promise<JournalRecord[]> {
    const located = this.source.segmentFor(this.nextSeq);
    if (located === undefined) {
      await yieldToLoop();
      return [];
    }
    if (this.diskSegment !== located.segment) {
      await this.closeDisk();
      const opened = await SegmentFileReader.open(located.segment.path);
      if (typeof opened === 'string') return this.skipSegment(located.next, located.segment.path, 0, opened);
      this.disk = opened;
      this.diskSegment = located.segment;
    }
    const disk = this.disk!;
    const batch = await disk.readBatch(max);
    const out: JournalRecord[] = [];
    const stopAt = Math.min(this.source.durableSeq + 1, this.source.tail.firstSeq);
    for (const record of batch.records) {
      if (record.seq < this.nextSeq) continue;
      if (record.seq >= stopAt) {
        // Newer records are served from memory (or not durable yet): re-open here next time.
        await this.closeDisk();
        return out;
      }
      out.push({ seq: record.seq, environment: record.environment, receivedAt: record.receivedAt, event: JSON.parse(record.json.toString('utf8')) as JournalRecord['event'] });
      this.nextSeq = record.seq + 1;
    }
    if (batch.state === 'corrupt') return [...out, ...(await this.skipSegment(located.next, disk.path, batch.offset, batch.reason ?? 'corrupt'))];
    if (batch.state === 'end' && out.length === 0) {
      await this.closeDisk();
      if (located.next !== undefined && this.nextSeq < located.next.firstSeq) this.nextSeq = located.next.firstSeq;
      else await yieldToLoop();
    }
    return out;
  }

  private async skipSegment(next: SegmentInfo | undefined, file: string, offset: number, reason: string): Promise<JournalRecord[]> {
    await this.closeDisk();
    const toSeq = next ? next.firstSeq - 1 : this.source.durableSeq;
    if (toSeq >= this.nextSeq) this.source.reportCorrupt(file, offset, reason, this.nextSeq, toSeq);
    this.nextSeq = toSeq + 1;
    return [];
  }

  private async closeDisk(): Promise<void> {
    const disk = this.disk;
    this.disk = undefined;
    this.diskSegment = undefined;
    await disk?.close();
  }

  async close(): Promise<void> {
    await this.closeDisk();
  }
}
