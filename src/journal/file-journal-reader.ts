// A reader over the journal: from the in-memory tail when it is caught up, from segment files
// when it lags. It only ever returns durable records, in seq order.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { JournalRecord } from '../event.js';
import type { JournalReader } from './journal.js';
import { UnreadableBatchError, type MemoryTail } from './memory-tail.js';
import { recordsOf } from './stored-record.js';
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
  /** Records read from disk beyond what the last read returned; they start at nextSeq. */
  private buffered: JournalRecord[] = [];
  /** Where the next unread record of a segment starts, so reopening it does not rescan from the top. */
  private resume: { segment: SegmentInfo; offset: number; seq: number } | undefined;

  constructor(
    private readonly source: ReaderSource,
    public nextSeq: number,
    private readonly onClose: () => void = () => undefined,
  ) {}

  /** The newest seq this reader has read or holds in memory: it no longer needs the segment. */
  get heldSeq(): number {
    return this.buffered.at(-1)?.seq ?? this.nextSeq - 1;
  }

  async read(max: number, signal?: AbortSignal): Promise<JournalRecord[]> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.source.isClosed) throw new Error('the journal is closed');
      if (this.buffered.length > 0) return this.take(this.buffered.splice(0, max));
      if (this.nextSeq > this.source.durableSeq) {
        await this.source.waitForAppend(signal);
        continue;
      }
      if (this.nextSeq < this.source.firstAvailableSeq) {
        // Retention removed what this reader had not read; the journal counted and logged it.
        this.nextSeq = this.source.firstAvailableSeq;
        await this.closeDisk();
      }
      let fromMemory: JournalRecord[];
      try {
        fromMemory = this.source.tail.read(this.nextSeq, max);
      } catch (error) {
        if (!(error instanceof UnreadableBatchError)) throw error;
        this.source.reportCorrupt('(memory)', 0, error.message, this.nextSeq, error.toSeq);
        this.nextSeq = error.toSeq + 1;
        continue;
      }
      if (fromMemory.length > 0) {
        await this.closeDisk();
        return this.take(fromMemory);
      }
      await this.readDisk();
    }
  }

  private take(records: JournalRecord[]): JournalRecord[] {
    this.nextSeq = records.at(-1)!.seq + 1;
    return records;
  }

  /** Reads the next stored batches of the segment holding nextSeq into `buffered`. */
  private async readDisk(): Promise<void> {
    const located = this.source.segmentFor(this.nextSeq);
    if (located === undefined) return void (await yieldToLoop());
    if (this.diskSegment !== located.segment) {
      await this.closeDisk();
      const resume = this.resume?.segment === located.segment && this.resume.seq <= this.nextSeq ? this.resume.offset : undefined;
      const opened = await SegmentFileReader.open(located.segment.path, resume);
      if (typeof opened === 'string') return this.skipSegment(located.next, located.segment.path, 0, opened);
      this.disk = opened;
      this.diskSegment = located.segment;
    }
    const disk = this.disk!;
    const read = await disk.read(16);
    // Retention removed the segment meanwhile and counted its events from nextSeq on as dropped.
    if (this.nextSeq < this.source.firstAvailableSeq) return;
    // Newer records are served from memory (or are not durable yet).
    const stopAt = Math.min(this.source.durableSeq + 1, this.source.tail.firstSeq);
    let next = this.nextSeq; // `buffered` is empty here: read() hands it out before reading more
    let offset = read.offset - read.batches.reduce((sum, batch) => sum + batch.size, 0);
    for (const batch of read.batches) {
      const toSeq = batch.firstSeq + batch.count - 1;
      if (batch.firstSeq >= stopAt) {
        this.resume = { segment: located.segment, offset, seq: batch.firstSeq };
        await this.closeDisk();
        break;
      }
      offset += batch.size;
      if (toSeq < next) continue;
      let records;
      try {
        records = recordsOf(batch);
      } catch (error) {
        this.source.reportCorrupt(disk.path, read.offset, `unreadable payload: ${(error as Error).message}`, Math.max(next, batch.firstSeq), toSeq);
        next = toSeq + 1;
        continue;
      }
      for (const record of records) if (record.seq >= next && record.seq < stopAt) this.buffered.push(record);
      next = Math.min(toSeq + 1, stopAt);
    }
    if (this.buffered.length === 0) this.nextSeq = next;
    if (this.disk === undefined) return;
    if (read.state === 'corrupt') {
      if (this.buffered.length === 0) return this.skipSegment(located.next, disk.path, read.offset, read.reason ?? 'corrupt');
      // Hand out what came before the damage; the next read reopens and then skips the rest.
      return this.closeDisk();
    }
    if (read.state === 'end' && this.buffered.length === 0) {
      this.resume = { segment: located.segment, offset: read.offset, seq: next };
      await this.closeDisk();
      if (located.next !== undefined && this.nextSeq < located.next.firstSeq) this.nextSeq = located.next.firstSeq;
      else await yieldToLoop();
    }
  }

  private async skipSegment(next: SegmentInfo | undefined, file: string, offset: number, reason: string): Promise<void> {
    await this.closeDisk();
    const toSeq = next ? next.firstSeq - 1 : this.source.durableSeq;
    if (toSeq >= this.nextSeq) this.source.reportCorrupt(file, offset, reason, this.nextSeq, toSeq);
    this.nextSeq = toSeq + 1;
  }

  private async closeDisk(): Promise<void> {
    const disk = this.disk;
    this.disk = undefined;
    this.diskSegment = undefined;
    await disk?.close();
  }

  async close(): Promise<void> {
    this.onClose();
    this.buffered = [];
    await this.closeDisk();
  }
}
