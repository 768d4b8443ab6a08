// A reader over the journal: from the in-memory tail when it is caught up, from segment files
// when it lags. It only ever returns durable records, in seq order.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { JournalRecord } from '../../event/activity-event.js';
import type { FoundDamage } from './damage-ledger.js';
import type { JournalReader } from '../../contracts/journal.js';
import { UnreadableBatchError, type MemoryTail } from './memory-tail.js';
import { recordsOf } from '../../event/stored-record.js';
import { unpackStoredScan } from '../../event/packed-scan.js';
import { SegmentFileReader, type SegmentInfo } from './segment-file.js';

/** What a reader needs from the journal. */
export interface ReaderSource {
  readonly durableSeq: number;
  readonly firstAvailableSeq: number;
  readonly tail: MemoryTail;
  readonly isClosed: boolean;
  segmentFor(seq: number): { segment: SegmentInfo; next: SegmentInfo | undefined } | undefined;
  waitForAppend(signal?: AbortSignal): Promise<void>;
  /** Logs and moves aside the damage (once), and counts what the reader's subscription lost from `fromSeq` on. */
  reportDamage(damage: FoundDamage, subscriptionId: string | undefined, fromSeq: number): void;
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
    private readonly subscriptionId?: string,
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
        this.source.reportDamage({ path: '(memory)', offset: 0, endOffset: 0, fromSeq: error.fromSeq, toSeq: error.toSeq, environment: null, reason: error.message }, this.subscriptionId, this.nextSeq);
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
    const { segment } = located;
    if (this.diskSegment !== segment) {
      await this.closeDisk();
      const resume = this.resume?.segment === segment && this.resume.seq <= this.nextSeq ? this.resume : undefined;
      const opened = await SegmentFileReader.open(segment.path, (resume?.seq ?? segment.firstSeq) - 1, resume?.offset);
      if (opened === 'short') return this.passDamage(located, { path: segment.path, offset: 0, reason: 'the file is shorter than a segment header' });
      this.disk = opened;
      this.diskSegment = segment;
    }
    const disk = this.disk!;
    // Only bytes below segment.bytes are durable: a record cut or running past them is damage.
    const read = await disk.read(16, segment.bytes);
    // Retention removed the segment meanwhile and counted its events from nextSeq on as dropped.
    if (this.nextSeq < this.source.firstAvailableSeq) return;
    // Newer records are served from memory (or are not durable yet).
    const stopAt = Math.min(this.source.durableSeq + 1, this.source.tail.firstSeq);
    let next = this.nextSeq; // `buffered` is empty here: read() hands it out before reading more
    let offset = read.offset - read.batches.reduce((sum, batch) => sum + batch.size, 0);
    for (const batch of read.batches) {
      const toSeq = batch.firstSeq + batch.count - 1;
      if (batch.firstSeq >= stopAt) {
        this.resume = { segment, offset, seq: batch.firstSeq };
        await this.closeDisk();
        break;
      }
      const at = offset;
      offset += batch.size;
      if (toSeq < next) continue;
      let records;
      try {
        records = recordsOf(batch.storedScan === undefined ? batch : { ...batch, packedScan: unpackStoredScan(batch.storedScan) });
      } catch (error) {
        const damage = { path: disk.path, offset: at, endOffset: offset, fromSeq: batch.firstSeq, toSeq, environment: batch.environment, reason: `unreadable payload: ${(error as Error).message}` };
        this.source.reportDamage(damage, this.subscriptionId, next);
        next = toSeq + 1;
        continue;
      }
      for (const record of records) if (record.seq >= next && record.seq < stopAt) this.buffered.push(record);
      next = Math.min(toSeq + 1, stopAt);
    }
    if (this.buffered.length === 0) this.nextSeq = next;
    if (this.disk === undefined) return;
    if (read.state === 'corrupt') {
      // What came before the damage is handed out first; the next read starts at the damage.
      if (this.buffered.length === 0) await this.passDamage(located, { path: disk.path, offset: read.offset, reason: read.reason ?? 'corrupt' }, disk);
      return;
    }
    if (read.state === 'end' && this.buffered.length === 0) {
      this.resume = { segment, offset: read.offset, seq: next };
      await this.closeDisk();
      if (located.next !== undefined && this.nextSeq < located.next.firstSeq) this.nextSeq = located.next.firstSeq;
      else await yieldToLoop();
    }
  }

  /**
   * Steps over damage at `offset`: resumes at the next intact record of the segment (or the next
   * segment), and reports the seqs in between, with their environment when the damaged record's
   * header still agrees with its neighbours.
   */
  private async passDamage(located: { segment: SegmentInfo; next: SegmentInfo | undefined }, at: { path: string; offset: number; reason: string }, disk?: SegmentFileReader): Promise<void> {
    const { segment, next } = located;
    const fromSeq = disk ? disk.lastSeq + 1 : segment.firstSeq;
    const header = disk && at.offset > 0 ? await disk.headerAt(at.offset) : undefined;
    const found = await disk?.skipDamage(segment.bytes);
    const toSeq = found ? found.firstSeq - 1 : next ? next.firstSeq - 1 : this.source.durableSeq;
    const endOffset = found?.offset ?? segment.bytes;
    const trusted = header !== undefined && header.firstSeq === fromSeq && at.offset + header.size === endOffset && header.firstSeq + header.count - 1 === toSeq;
    this.source.reportDamage({ ...at, endOffset, fromSeq, toSeq, environment: trusted ? header.environment : null }, this.subscriptionId, this.nextSeq);
    this.nextSeq = Math.max(this.nextSeq, toSeq + 1);
    if (found === undefined) await this.closeDisk();
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
