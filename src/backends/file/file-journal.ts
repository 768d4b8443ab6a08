// The embedded journal: append-only segment files with checksummed records, group commit (one
// fdatasync covers every append waiting at that moment), atomic per-subscription cursors,
// retention by age and size, and an in-memory tail for readers that keep up.
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { StartAt } from '../../config/gateway-config.js';
import type { Logger } from '../../logger.js';
import { CursorStore } from './cursor-store.js';
import { JournalCursors } from './journal-cursors.js';
import { DirectoryLock } from '../../util/directory-lock.js';
import { FileJournalReader, type ReaderSource } from './file-journal-reader.js';
import { fsyncDirectory } from '../../util/fsync-dir.js';
import { privateDirectoryMode, privateFileMode } from '../../util/private-modes.js';
import { JournalFailedError, type AppendBatch, type Appended, type DropReport, type Journal, type JournalReader, type JournalStats } from '../../contracts/journal.js';
import { MemoryTail, type TailBatch } from './memory-tail.js';
import { asError } from '../../util/as-error.js';
import { abortable } from '../../util/abortable.js';
import { deferred } from '../../util/deferred.js';
import { DamageLedger, type FoundDamage } from './damage-ledger.js';
import { HighWaterMark } from './high-water-mark.js';
import { recoverNewest } from './segment-recovery.js';
import { JournalRetention, retryAfterSeconds } from './journal-retention.js';
import { proveWrite, WriteHealth } from './write-health.js';
import { encodeBatchHeader } from './record-codec.js';
import { packScan, storedScan } from '../../event/packed-scan.js';
import { CommitThread } from './commit-thread.js';
import { createSegmentFile, listSegments, segmentHolding, segmentHeaderBytes, seqBefore, type SegmentInfo } from './segment-file.js';

export interface FileJournalOptions {
  /** storage.dir: segments go to `<dir>/journal`, cursors to `<dir>/cursors`. */
  dir: string;
  maxBytes: number;
  maxAgeMs: number;
  whenFull: 'reject' | 'drop-oldest';
  logger: Logger;
  /**
   * A segment is closed once it reaches this size. Default: maxBytes / 16, between 1 MiB and
   * 16 MiB: start-up reads the newest segment whole (CRC included), 60-90 ms for 16 MiB here
   * against 250-370 ms for 64 MiB, on the path to a backlog's first delivery.
   */
  segmentBytes?: number;
  /** Payload bytes of the newest batches kept in memory for caught-up readers (storage.memoryTailMB). Default 8 MiB. */
  tailBytes?: number;
  maintenanceIntervalMs?: number;
  now?: () => number;
  onDrop?: (report: DropReport) => void;
}

/** Told of every change a reader elsewhere (the delivery thread) needs to follow the journal. */
export interface JournalFollower {
  /** Batches that just became durable, in order, and the active segment's durable size after them. */
  durable(batches: readonly TailBatch[], activeSegmentBytes: number): void;
  /** The segment list changed (a roll, a deletion). */
  segments(segments: readonly SegmentInfo[]): void;
}

interface PendingAppend {
  buffers: Uint8Array[];
  bytes: number;
  tail: TailBatch;
  resolve: () => void;
  reject: (error: Error) => void;
}


export class FileJournal implements Journal, ReaderSource {
  readonly tail: MemoryTail;
  durableSeq = 0;
  private lastSeq = 0;
  private totalBytes = 0;
  segments: SegmentInfo[] = [];
  private handle!: FileHandle;
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> | null = null;
  private readonly committer = new CommitThread();
  private appended = deferred<void>();
  private readonly cursors: JournalCursors;
  /** Each subscription's reader: what it holds in memory is not lost when its segment goes. */
  private readonly readers = new Map<string, FileJournalReader>();
  private follower: JournalFollower | undefined;
  private readonly health: WriteHealth;
  private deletions: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lock!: DirectoryLock;
  private highWater!: HighWaterMark;
  ledger!: DamageLedger;
  /** Seqs skipped after damage hid the journal's end: a cursor inside lost nothing by moving to its end. */
  gap: { after: number; upTo: number } | undefined;
  private readonly journalDir: string;
  private readonly segmentBytes: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly retention: JournalRetention;

  private constructor(private readonly options: FileJournalOptions) {
    this.journalDir = join(options.dir, 'journal');
    this.cursors = new JournalCursors(this, new CursorStore(join(options.dir, 'cursors')), options.logger);
    this.segmentBytes = options.segmentBytes ?? Math.min(16 << 20, Math.max(1 << 20, Math.floor(options.maxBytes / 16)));
    this.tail = new MemoryTail(options.tailBytes ?? 8 << 20);
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.retention = new JournalRetention(this, options);
    this.health = new WriteHealth(() => this.reopenActiveSegment(), this.journalDir, this.logger, this.now);
  }

  /** Takes storage.dir's lock (DirectoryInUseError if another process holds it), then recovers. */
  static async open(options: FileJournalOptions): Promise<FileJournal> {
    const journal = new FileJournal(options);
    await mkdir(options.dir, { recursive: true, mode: privateDirectoryMode });
    journal.lock = DirectoryLock.acquire(options.dir, options.logger);
    try {
      await journal.recover();
    } catch (error) {
      journal.lock.release();
      throw error;
    }
    const interval = options.maintenanceIntervalMs ?? 60_000;
    journal.timer = setInterval(() => void journal.runMaintenance(), interval).unref();
    void journal.runMaintenance();
    return journal;
  }

  // ---- start-up --------------------------------------------------------------------------------

  /** Reads only the last segment: start-up cost does not grow with the backlog. */
  private async recover(): Promise<void> {
    await mkdir(this.journalDir, { recursive: true, mode: privateDirectoryMode });
    await mkdir(join(this.options.dir, 'cursors'), { recursive: true, mode: privateDirectoryMode });
    this.highWater = HighWaterMark.load(this.journalDir, this.logger);
    this.ledger = DamageLedger.load(this.journalDir, this.logger, this.options.onDrop);
    this.segments = await listSegments(this.journalDir);
    const newest = this.segments.at(-1);
    const recovered = newest ? await recoverNewest(newest, { journalDir: this.journalDir, logger: this.logger, ledger: this.ledger }) : { lastReadableSeq: 0, endSeq: 0, uncertain: false };
    if (recovered.setAside) this.segments.pop();
    let lastSeq = recovered.endSeq;
    if (recovered.uncertain) {
      // Damage hid the journal's true end: numbering continues above every seq handed out before.
      lastSeq = Math.max(lastSeq, this.highWater.reservedSeq, this.cursors.highestSaved());
      this.logger.warn({ lastReadableSeq: recovered.lastReadableSeq, nextSeq: lastSeq + 1 }, `journal: new events are numbered from ${lastSeq + 1}, above every seq handed out before the damage`);
    }
    if (lastSeq > recovered.lastReadableSeq) this.gap = { after: recovered.lastReadableSeq, upTo: lastSeq };
    const active = this.segments.at(-1);
    // After a jump in numbering, new events go to a segment of their own.
    if (active === undefined || (this.gap !== undefined && active.firstSeq <= lastSeq)) {
      await this.handle?.close();
      await this.createSegment(lastSeq + 1);
    } else {
      this.handle = await open(active.path, 'a', privateFileMode);
    }
    this.lastSeq = this.durableSeq = lastSeq;
    this.totalBytes = this.segments.reduce((sum, segment) => sum + segment.bytes, 0);
    this.logger.info({ dir: this.journalDir, segments: this.segments.length, firstSeq: this.firstAvailableSeq, lastSeq: this.lastSeq, bytes: this.totalBytes }, 'journal opened');
  }

  private async createSegment(firstSeq: number): Promise<void> {
    const { path, handle } = await createSegmentFile(this.journalDir, firstSeq);
    this.segments.push({ firstSeq, path, bytes: segmentHeaderBytes, lastWriteMs: this.now() });
    this.totalBytes += segmentHeaderBytes;
    this.handle = handle;
    this.follower?.segments(this.segments);
  }

  // ---- append and group commit -----------------------------------------------------------------

  /** Stores the batch as one record: the payload bytes as given, behind a checksummed header. */
  append(environment: string, batch: AppendBatch): Promise<Appended> {
    if (this.health.failure) return Promise.reject(new JournalFailedError(this.health.failure, retryAfterSeconds));
    if (this.closed) return Promise.reject(new Error('the journal is closed'));
    const { count, payload } = batch;
    if (count === 0) return Promise.resolve({ firstSeq: this.lastSeq + 1, lastSeq: this.lastSeq });
    const receivedAt = this.now();
    const firstSeq = this.lastSeq + 1;
    const packedScan = batch.scanned === undefined ? undefined : packScan(batch.scanned);
    const scan = storedScan(packedScan);
    const header = encodeBatchHeader(firstSeq, receivedAt, count, environment, payload, scan);
    const bytes = header.length + payload.bytes.length + (scan?.length ?? 0);
    try {
      this.retention.ensureCapacity(bytes);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    this.lastSeq += count;
    const lastSeq = this.lastSeq;
    const tail: TailBatch = { firstSeq, count, environment, receivedAt, format: payload.format, payload: payload.bytes, events: batch.events, packedScan };
    return new Promise((resolve, reject) => {
      this.pending.push({ buffers: scan === undefined ? [header, payload.bytes] : [header, payload.bytes, scan], bytes, tail, resolve: () => resolve({ firstSeq, lastSeq }), reject });
      this.pendingBytes += bytes;
      this.flushing ??= this.flush();
    });
  }

  /** Writes and syncs everything pending, in rounds: appends arriving during a sync share the next one. */
  private async flush(): Promise<void> {
    while (this.pending.length > 0 && !this.health.failure) {
      const batch = this.pending;
      this.pending = [];
      let bytes = 0;
      for (const append of batch) bytes += append.bytes;
      this.pendingBytes -= bytes;
      try {
        const active = this.segments.at(-1)!;
        if (active.bytes >= this.segmentBytes && active.firstSeq <= this.durableSeq) await this.roll(batch[0]!.tail.firstSeq);
        const newest = batch.at(-1)!.tail;
        await this.highWater.cover(newest.firstSeq + newest.count - 1);
        await this.committer.commit(this.handle.fd, batch.flatMap((append) => append.buffers), batch.length);
      } catch (error) {
        this.writeFailed(asError(error), batch);
        break;
      }
      const segment = this.segments.at(-1)!;
      segment.bytes += bytes;
      segment.lastWriteMs = this.now();
      this.totalBytes += bytes;
      // While the delivery thread follows, its mirror is the tail readers use: one here would only
      // keep every payload alive long enough to be promoted, and collected in full (see DESIGN.md).
      if (this.follower === undefined) for (const append of batch) this.tail.push(append.tail);
      const last = batch.at(-1)!.tail;
      this.durableSeq = last.firstSeq + last.count - 1;
      this.follower?.durable(batch.map((append) => append.tail), segment.bytes);
      for (const append of batch) append.resolve();
      this.signalAppended();
    }
    this.flushing = null;
  }

  private async roll(firstSeq: number): Promise<void> {
    await this.handle.close();
    await this.createSegment(firstSeq);
  }

  /**
   * A write, fsync or roll failed: nothing of it was acknowledged, so its appends and every one
   * waiting are refused (503 journal_unavailable), their seqs are given back, and a probe loop
   * repairs the active segment and accepts again once the disk takes a write and an fsync.
   */
  private writeFailed(error: Error, batch: PendingAppend[]): void {
    const failed = new JournalFailedError(error, retryAfterSeconds);
    for (const append of [...batch, ...this.pending]) append.reject(failed);
    this.pending = [];
    this.pendingBytes = 0;
    this.lastSeq = this.durableSeq;
    this.health.failed(error, this.handle);
  }

  /** Cuts the active segment back to its last durable record, proves a write and an fsync, and reopens it. */
  private async reopenActiveSegment(): Promise<void> {
    const active = this.segments.at(-1)!;
    const repair = await open(active.path, 'r+');
    try {
      await repair.truncate(active.bytes);
      await repair.datasync();
    } finally {
      await repair.close();
    }
    await proveWrite(this.journalDir);
    this.handle = await open(active.path, 'a', privateFileMode);
  }

  private signalAppended(): void {
    const current = this.appended;
    this.appended = deferred<void>();
    current.resolve();
  }

  waitForAppend(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the journal is closed'));
    return signal ? abortable(this.appended.promise, signal) : this.appended.promise;
  }

  // ---- capacity and retention (journal-retention.ts) ------------------------------------------

  /** Retention's view: the segments, and the bytes stored and waiting to be written. */
  get storedBytes(): number {
    return this.totalBytes + this.pendingBytes;
  }

  /** Each open cursor with the newest seq its readers already hold in memory (still delivered). */
  cursorsHeld(): Iterable<[string, { seq: number; environment: string }, number]> {
    return this.cursors.held((id) => this.readers.get(id)?.heldSeq ?? 0);
  }

  /** Removes the oldest segment from the journal now; its file goes in the background (close() waits). */
  removeOldest(): void {
    const segment = this.segments.shift()!;
    this.totalBytes -= segment.bytes;
    this.ledger.prune(this.firstAvailableSeq);
    this.follower?.segments(this.segments);
    this.deletions = this.deletions
      .then(() => unlink(segment.path))
      .then(() => fsyncDirectory(this.journalDir))
      .catch((error: unknown) => this.logger.error({ err: error, file: segment.path }, 'journal: cannot delete a segment'));
  }

  runMaintenance(): Promise<void> {
    return this.retention.run();
  }

  // ---- cursors (journal-cursors.ts) and readers --------------------------------------------------

  openCursor(subscriptionId: string, environment: string, startAt: StartAt): Promise<number> {
    return this.cursors.open(subscriptionId, environment, startAt);
  }

  /** The seq just before the first retained record accepted at or after `at` (the journal's end if none). */
  seqBefore(at: number): Promise<number> {
    return seqBefore(this.segments, at, this.durableSeq);
  }

  commit(subscriptionId: string, upTo: number): Promise<void> {
    return this.cursors.commit(subscriptionId, upTo);
  }

  releaseCursor(subscriptionId: string): void {
    this.cursors.release(subscriptionId);
  }

  removeCursor(subscriptionId: string): Promise<void> {
    return this.cursors.remove(subscriptionId);
  }

  /** The newest seq a reader elsewhere has read for `subscriptionId`: retention does not count it as dropped. */
  noteHeld(subscriptionId: string, seq: number): void {
    this.cursors.noteHeld(subscriptionId, seq);
  }

  reader(afterSeq: number, subscriptionId?: string): JournalReader {
    const reader = new FileJournalReader(this, afterSeq + 1, subscriptionId, () => {
      if (subscriptionId !== undefined && this.readers.get(subscriptionId) === reader) this.readers.delete(subscriptionId);
    });
    if (subscriptionId !== undefined) this.readers.set(subscriptionId, reader);
    return reader;
  }

  /**
   * Lets `follower` follow the journal from now on (one at a time); returns what it starts from.
   * Its readers read the segment files themselves and report what they hold with `noteHeld`.
   */
  follow(follower: JournalFollower | undefined): { segments: readonly SegmentInfo[]; durableSeq: number } {
    this.follower = follower;
    if (follower !== undefined) this.tail.clear();
    return { segments: this.segments, durableSeq: this.durableSeq };
  }

  get firstAvailableSeq(): number {
    return this.segments[0]?.firstSeq ?? this.durableSeq + 1;
  }

  /** The segment holding `seq`, and the one after it. */
  segmentFor(seq: number): { segment: SegmentInfo; next: SegmentInfo | undefined } | undefined {
    return segmentHolding(this.segments, seq);
  }

  reportDamage(found: FoundDamage, subscriptionId: string | undefined, fromSeq: number): void {
    void this.ledger.record(found)
      .then((damage) => {
        const cursor = subscriptionId === undefined ? undefined : this.cursors.get(subscriptionId);
        if (cursor !== undefined) this.ledger.count(damage, subscriptionId!, cursor.environment, fromSeq);
      })
      .catch((error: unknown) => this.logger.error({ err: error, file: found.path }, 'journal: cannot record damage'));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stats(): JournalStats {
    return {
      firstSeq: this.firstAvailableSeq,
      lastSeq: this.durableSeq,
      bytes: this.totalBytes,
      maxBytes: this.options.maxBytes,
      segments: this.segments.length,
      cursors: this.cursors.seqs(),
      failed: this.health.failure !== undefined,
      commits: this.committer.stats(),
      ...(this.health.failure === undefined ? {} : { failure: `journal cannot write (${(this.health.failure as NodeJS.ErrnoException).code ?? 'write error'})` }),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.health.stop();
    clearInterval(this.timer);
    await this.flushing;
    await this.committer.close();
    await this.health.settle();
    await this.retention.settle();
    await this.deletions;
    await this.cursors.settle();
    await this.ledger.settle();
    await this.handle.close();
    this.lock.release();
    this.tail.clear();
    this.appended.reject(new Error('the journal is closed'));
    this.appended.promise.catch(() => undefined);
  }
}
