// The embedded journal: append-only segment files with checksummed records, group commit (one
// fdatasync covers every append waiting at that moment), atomic per-subscription cursors,
// retention by age and size, and an in-memory tail for readers that keep up.
import { mkdir, open, rename, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StartAt } from '../../config/gateway-config.js';
import type { Logger } from '../../logger.js';
import { CursorStore } from './cursor-store.js';
import { DirectoryLock } from '../../util/directory-lock.js';
import { FileJournalReader, type FoundDamage, type ReaderSource } from './file-journal-reader.js';
import { fsyncDirectory } from '../../util/fsync-dir.js';
import { privateDirectoryMode, privateFileMode } from '../../util/private-modes.js';
import { JournalFailedError, JournalFullError, type AppendBatch, type DropReport, type Journal, type JournalReader, type JournalStats } from '../../contracts/journal.js';
import { MemoryTail, type TailBatch } from './memory-tail.js';
import { asError } from '../../util/as-error.js';
import { abortable } from '../../util/abortable.js';
import { deferred } from '../../util/deferred.js';
import { DamageLedger, type Damage } from './damage-ledger.js';
import { HighWaterMark } from './high-water-mark.js';
import { encodeBatchHeader, recordHeaderBytes, type StoredBatch } from './record-codec.js';
import { listSegments, saveDamagedBytes, segmentHolding, segmentHeaderBytes, segmentMagic, segmentPath, SegmentFileReader, type SegmentInfo } from './segment-file.js';

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
  /** Payload bytes of the newest batches kept in memory for caught-up readers. Default 8 MiB. */
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
  buffers: [Buffer, Buffer];
  bytes: number;
  tail: TailBatch;
  resolve: () => void;
  reject: (error: Error) => void;
}

const retryAfterSeconds = 5;
/** Backoff between probes while the journal cannot write. */
const healDelayMs = { first: 100, max: 5_000 };

export class FileJournal implements Journal, ReaderSource {
  readonly tail: MemoryTail;
  durableSeq = 0;
  private lastSeq = 0;
  private totalBytes = 0;
  private segments: SegmentInfo[] = [];
  private handle!: FileHandle;
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> | null = null;
  private appended = deferred<void>();
  private readonly cursors = new Map<string, { seq: number; environment: string }>();
  /** Each subscription's reader: what it holds in memory is not lost when its segment goes. */
  private readonly readers = new Map<string, FileJournalReader>();
  /** What the delivery thread's readers hold in memory, per subscription (see reportDrops). */
  private readonly heldElsewhere = new Map<string, number>();
  private follower: JournalFollower | undefined;
  private readonly cursorStore: CursorStore;
  /** Set while writes fail (disk full, too many open files, a directory gone); a probe loop clears it. */
  private failure: Error | undefined;
  private healing: Promise<void> | null = null;
  private readonly closing = new AbortController();
  private maintenance: Promise<void> | null = null;
  private deletions: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lock!: DirectoryLock;
  private highWater!: HighWaterMark;
  private ledger!: DamageLedger;
  /** Damage being recorded, by segment and offset, so readers meeting it together record it once. */
  private readonly recording = new Map<string, Promise<Damage>>();
  /** Seqs skipped after damage hid the journal's end: a cursor inside lost nothing by moving to its end. */
  private gap: { after: number; upTo: number } | undefined;
  private readonly journalDir: string;
  private readonly segmentBytes: number;
  private readonly now: () => number;
  private readonly logger: Logger;

  private constructor(private readonly options: FileJournalOptions) {
    this.journalDir = join(options.dir, 'journal');
    this.cursorStore = new CursorStore(join(options.dir, 'cursors'));
    this.segmentBytes = options.segmentBytes ?? Math.min(16 << 20, Math.max(1 << 20, Math.floor(options.maxBytes / 16)));
    this.tail = new MemoryTail(options.tailBytes ?? 8 << 20);
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
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
    this.ledger = DamageLedger.load(this.journalDir, this.logger);
    this.segments = await listSegments(this.journalDir);
    const newest = this.segments.at(-1);
    const recovered = newest ? await this.recoverNewest(newest) : { lastReadableSeq: 0, endSeq: 0, uncertain: false };
    let lastSeq = recovered.endSeq;
    if (recovered.uncertain) {
      // Damage hid the journal's true end: numbering continues above every seq handed out before.
      lastSeq = Math.max(lastSeq, this.highWater.reservedSeq, this.cursorStore.highestSaved());
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

  /**
   * Scans the newest segment: keeps every intact record, moves damaged bytes aside (continuing at
   * the next intact record), and cuts only a torn tail, a last record whose write never finished
   * and so was never acknowledged. Numbering continues after `endSeq`; `uncertain` when damage
   * hides where the lost events ended.
   */
  private async recoverNewest(segment: SegmentInfo): Promise<{ lastReadableSeq: number; endSeq: number; uncertain: boolean }> {
    const reader = await SegmentFileReader.open(segment.path, segment.firstSeq - 1);
    if (reader === 'short') {
      // Cut off while being created: nothing was ever written to it.
      if (segment.bytes > 0) this.logger.warn({ file: segment.path, offset: 0, bytes: segment.bytes }, `journal: cut a torn segment header in ${segment.path} at byte 0`);
      await this.rewriteMagic(segment.path, 'w');
      segment.bytes = segmentHeaderBytes;
      return { lastReadableSeq: segment.firstSeq - 1, endSeq: segment.firstSeq - 1, uncertain: false };
    }
    let uncertain = false;
    let endSeq: number | undefined;
    let magicDamaged = false;
    try {
      for (;;) {
        const read = await reader.read(256);
        if (read.state === 'more') continue;
        if (read.state === 'end' && read.offset >= segment.bytes) break;
        const at = read.offset;
        const fromSeq = reader.lastSeq + 1;
        const header = at > 0 ? await reader.headerAt(at) : undefined;
        const found = await reader.skipDamage();
        if (at === 0 && found === undefined) {
          await reader.close();
          await this.moveSegmentAside(segment);
          return { lastReadableSeq: segment.firstSeq - 1, endSeq: segment.firstSeq - 1, uncertain: true };
        }
        // Too short to have held an acknowledged record, or a record whose write did not finish.
        const torn = segment.bytes - at < recordHeaderBytes || (read.state === 'end' && header?.firstSeq === fromSeq);
        if (found === undefined && torn) {
          await this.cut(segment, at, `journal: cut a torn record at the end of ${segment.path} at byte ${at} (${segment.bytes - at} bytes removed); every record before it is kept`);
          break;
        }
        magicDamaged ||= at === 0;
        const endOffset = found?.offset ?? segment.bytes;
        // The damaged record's own header is believed only where it agrees with its neighbours.
        const trusted = header !== undefined && header.firstSeq === fromSeq && at + header.size === endOffset && (found === undefined || header.firstSeq + header.count === found.firstSeq);
        const toSeq = found ? found.firstSeq - 1 : trusted ? fromSeq + header.count - 1 : fromSeq;
        await this.recordDamage({ path: segment.path, offset: at, endOffset, fromSeq, toSeq, environment: trusted ? header.environment : null, reason: read.reason ?? 'a record cut short' });
        if (found === undefined) {
          // A damaged last record: its bytes are saved aside, and how many events it held is known only if its header is intact.
          await this.cut(segment, at, `journal: moved a damaged last record of ${segment.path} (bytes ${at}..${endOffset}) aside`);
          uncertain = !trusted;
          endSeq = toSeq;
          break;
        }
      }
    } finally {
      await reader.close();
    }
    if (magicDamaged) await this.rewriteMagic(segment.path, 'r+');
    return { lastReadableSeq: reader.lastSeq, endSeq: endSeq ?? reader.lastSeq, uncertain };
  }

  private async cut(segment: SegmentInfo, at: number, message: string): Promise<void> {
    await truncate(segment.path, at);
    const handle = await open(segment.path, 'r+');
    await handle.sync().finally(() => handle.close());
    this.logger.warn({ file: segment.path, offset: at, bytesCut: segment.bytes - at }, message);
    segment.bytes = at;
  }

  /** Writes the segment magic at byte 0 (over a damaged one, or into an empty file). */
  private async rewriteMagic(path: string, flags: 'w' | 'r+'): Promise<void> {
    const handle = await open(path, flags, privateFileMode);
    try {
      await handle.write(segmentMagic, 0, segmentHeaderBytes, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsyncDirectory(this.journalDir);
  }

  /** A newest segment with no readable record at all: renamed to `.corrupt`, its events counted as lost. */
  private async moveSegmentAside(segment: SegmentInfo): Promise<void> {
    const savedAs = `${segment.path}.corrupt`;
    await rename(segment.path, savedAs);
    await fsyncDirectory(this.journalDir);
    this.segments.pop();
    const damage: Damage = { segment: basename(segment.path), offset: 0, endOffset: segment.bytes, fromSeq: segment.firstSeq, toSeq: segment.firstSeq, environment: null, reason: 'no readable segment header or record', savedAs, counted: [] };
    this.ledger.add(damage);
    this.logDamage(damage);
  }

  private async createSegment(firstSeq: number): Promise<void> {
    const path = segmentPath(this.journalDir, firstSeq);
    // 'w': a file left by a roll that failed half-way is started again.
    const handle = await open(path, 'w', privateFileMode);
    try {
      await handle.write(segmentMagic);
      await handle.datasync();
      await fsyncDirectory(this.journalDir);
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.segments.push({ firstSeq, path, bytes: segmentHeaderBytes, lastWriteMs: this.now() });
    this.totalBytes += segmentHeaderBytes;
    this.handle = handle;
    this.follower?.segments(this.segments);
  }

  // ---- append and group commit -----------------------------------------------------------------

  /** Stores the batch as one record: the payload bytes as given, behind a checksummed header. */
  append(environment: string, batch: AppendBatch): Promise<{ firstSeq: number; lastSeq: number }> {
    if (this.failure) return Promise.reject(new JournalFailedError(this.failure, retryAfterSeconds));
    if (this.closed) return Promise.reject(new Error('the journal is closed'));
    const { count, payload } = batch;
    if (count === 0) return Promise.resolve({ firstSeq: this.lastSeq + 1, lastSeq: this.lastSeq });
    const receivedAt = this.now();
    const firstSeq = this.lastSeq + 1;
    const header = encodeBatchHeader(firstSeq, receivedAt, count, environment, payload);
    const bytes = header.length + payload.bytes.length;
    try {
      this.ensureCapacity(bytes);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    this.lastSeq += count;
    const lastSeq = this.lastSeq;
    const tail: TailBatch = { firstSeq, count, environment, receivedAt, format: payload.format, payload: payload.bytes, events: batch.events, scanned: batch.scanned };
    return new Promise((resolve, reject) => {
      this.pending.push({ buffers: [header, payload.bytes], bytes, tail, resolve: () => resolve({ firstSeq, lastSeq }), reject });
      this.pendingBytes += bytes;
      this.flushing ??= this.flush();
    });
  }

  /** Writes and syncs everything pending, in rounds: appends arriving during a sync share the next one. */
  private async flush(): Promise<void> {
    while (this.pending.length > 0 && !this.failure) {
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
        await writeAll(this.handle, batch.flatMap((append) => append.buffers));
        await this.handle.datasync();
      } catch (error) {
        this.writeFailed(asError(error), batch);
        break;
      }
      const segment = this.segments.at(-1)!;
      segment.bytes += bytes;
      segment.lastWriteMs = this.now();
      this.totalBytes += bytes;
      for (const append of batch) this.tail.push(append.tail);
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
    this.failure = error;
    this.logger.error({ err: error, dir: this.journalDir }, `journal: cannot write (${describeCode(error)}); ingest answers 503 journal_unavailable until a probe write succeeds`);
    const handle = this.handle;
    this.healing ??= handle
      .close()
      .catch(() => undefined)
      .then(() => this.heal())
      .finally(() => {
        this.healing = null;
      });
  }

  private async heal(): Promise<void> {
    const started = this.now();
    for (let delay = healDelayMs.first; !this.closed; delay = Math.min(delay * 2, healDelayMs.max)) {
      if (!(await sleep(delay, true, { signal: this.closing.signal }).catch(() => false))) return;
      try {
        await this.reopenActiveSegment();
      } catch (error) {
        this.failure = asError(error);
        continue;
      }
      this.failure = undefined;
      this.logger.info({ dir: this.journalDir, afterMs: this.now() - started }, 'journal: writing again; ingest accepts events');
      return;
    }
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
    const probe = join(this.journalDir, 'write-probe');
    await writeFile(probe, Buffer.alloc(4096), { flush: true, mode: privateFileMode });
    await unlink(probe);
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

  // ---- capacity and retention ------------------------------------------------------------------

  private ensureCapacity(bytes: number): void {
    if (this.totalBytes + this.pendingBytes + bytes <= this.options.maxBytes) return;
    if (this.options.whenFull === 'drop-oldest') {
      // Accept now; maintenance drops the oldest segments (counting what lagging subscriptions lose).
      void this.runMaintenance();
      return;
    }
    // Segments every subscription has delivered are kept only for replay: they make room first.
    while (this.segments.length > 1 && this.totalBytes + this.pendingBytes + bytes > this.options.maxBytes) {
      const oldest = this.segments[0]!;
      if (!this.consumedBy(this.segments[1]!.firstSeq - 1)) break;
      this.deleteOldest(oldest);
    }
    if (this.totalBytes + this.pendingBytes + bytes > this.options.maxBytes) throw new JournalFullError(retryAfterSeconds);
  }

  private consumedBy(lastSeq: number): boolean {
    for (const cursor of this.cursors.values()) if (cursor.seq < lastSeq) return false;
    return true;
  }

  private deleteOldest(segment: SegmentInfo): void {
    this.segments.shift();
    this.totalBytes -= segment.bytes;
    this.ledger.prune(this.firstAvailableSeq);
    this.follower?.segments(this.segments);
    // Deletions run one after another in the background; close() waits for them.
    this.deletions = this.deletions
      .then(() => unlink(segment.path))
      .then(() => fsyncDirectory(this.journalDir))
      .catch((error: unknown) => this.logger.error({ err: error, file: segment.path }, 'journal: cannot delete a segment'));
  }

  runMaintenance(): Promise<void> {
    this.maintenance ??= this.maintain()
      .catch((error: unknown) => this.logger.error({ err: error }, 'journal: retention failed'))
      .finally(() => {
        this.maintenance = null;
      });
    return this.maintenance;
  }

  /** Deletes segments past maxAgeHours, and over maxMB as whenFull allows, oldest first. */
  private async maintain(): Promise<void> {
    const oldestAllowed = this.now() - this.options.maxAgeMs;
    while (this.segments.length > 1 && !this.closed) {
      const oldest = this.segments[0]!;
      const lastSeq = this.segments[1]!.firstSeq - 1;
      const expired = oldest.lastWriteMs < oldestAllowed;
      const over = this.totalBytes > this.options.maxBytes;
      if (!expired && !(over && (this.consumedBy(lastSeq) || this.options.whenFull === 'drop-oldest'))) break;
      const batches = this.consumedBy(lastSeq) ? [] : await batchesOf(oldest);
      if (this.segments[0] !== oldest) continue;
      // Counted and deleted in one step, so no reader takes an event between the two.
      this.reportDrops(oldest, lastSeq, batches, expired ? 'age' : 'size');
      this.deleteOldest(oldest);
    }
  }

  /**
   * Counts, per lagging subscription, the events of its environment that retention removes: those
   * after both its cursor and what its reader already holds (read into memory, still delivered).
   */
  private reportDrops(segment: SegmentInfo, lastSeq: number, batches: BatchSummary[], reason: 'age' | 'size'): void {
    for (const [id, cursor] of this.cursors) {
      const from = Math.max(cursor.seq, this.readers.get(id)?.heldSeq ?? 0, this.heldElsewhere.get(id) ?? 0);
      if (from >= lastSeq) continue;
      let count = 0;
      for (const batch of batches) {
        const last = batch.firstSeq + batch.count - 1;
        if (batch.environment === cursor.environment && last > from) count += last - Math.max(from, batch.firstSeq - 1);
      }
      const report: DropReport = { subscriptionId: id, environment: cursor.environment, count, fromSeq: Math.max(from + 1, segment.firstSeq), toSeq: lastSeq, reason };
      if (count > 0) {
        this.logger.warn(report, `journal: retention (${reason}) removed ${count} events subscription ${id} had not delivered (seq ${report.fromSeq}..${lastSeq})`);
        this.options.onDrop?.(report);
      }
      // The subscription can no longer start before this segment's end.
      cursor.seq = Math.max(cursor.seq, lastSeq);
    }
  }

  // ---- cursors and readers ---------------------------------------------------------------------

  async openCursor(subscriptionId: string, environment: string, startAt: StartAt): Promise<number> {
    // Already open (the registry holds every configured cursor, then a pipeline starts on it): the
    // value in memory is the newest; the file may still be waiting for its write.
    const open = this.cursors.get(subscriptionId);
    if (open !== undefined) {
      open.environment = environment;
      return open.seq;
    }
    let seq: number | undefined;
    try {
      seq = this.cursorStore.read(subscriptionId);
    } catch (error) {
      // Duplicates, never loss: the subscription starts again from the oldest retained event.
      seq = this.firstAvailableSeq - 1;
      this.logger.error({ subscription: subscriptionId, err: error, cursor: seq }, `journal: ${(error as Error).message}; subscription ${subscriptionId} resumes from the oldest retained event (seq ${seq + 1}), so some events may be delivered again`);
      await this.cursorStore.write(subscriptionId, seq);
    }
    if (seq === undefined) {
      seq = await this.initialCursor(startAt);
      await this.cursorStore.write(subscriptionId, seq);
    } else if (seq > this.durableSeq) {
      this.logger.warn({ subscription: subscriptionId, cursor: seq, lastSeq: this.durableSeq }, `journal: the cursor of subscription ${subscriptionId} (${seq}) is past the journal end; moved back to ${this.durableSeq}`);
      seq = this.durableSeq;
      await this.cursorStore.write(subscriptionId, seq);
    }
    this.cursors.set(subscriptionId, { seq, environment });
    // Damage found at start-up or by an earlier run costs this subscription what it had not delivered.
    for (const damage of this.ledger.all) this.countDamage(damage, subscriptionId, environment, seq + 1);
    if (this.gap !== undefined && seq >= this.gap.after && seq < this.gap.upTo) {
      // Past every readable event, in the seqs damage took: nothing is left before the gap's end.
      seq = this.gap.upTo;
      this.cursors.get(subscriptionId)!.seq = seq;
      await this.cursorStore.write(subscriptionId, seq);
    }
    return seq;
  }

  private async initialCursor(startAt: StartAt): Promise<number> {
    if (startAt.kind === 'latest') return this.durableSeq;
    if (startAt.kind === 'earliest') return this.firstAvailableSeq - 1;
    return this.seqBefore(startAt.at.getTime());
  }

  /** The seq just before the first retained record accepted at or after `at` (the journal's end if none). */
  async seqBefore(at: number): Promise<number> {
    for (const segment of this.segments) {
      if (segment.lastWriteMs < at) continue;
      let found: number | undefined;
      await forEachBatch(segment, (batch) => {
        if (batch.receivedAt < at || batch.firstSeq > this.durableSeq) return false;
        found = batch.firstSeq - 1;
        return true;
      });
      if (found !== undefined) return found;
    }
    return this.durableSeq;
  }

  commit(subscriptionId: string, upTo: number): Promise<void> {
    const cursor = this.cursors.get(subscriptionId);
    if (cursor === undefined) return Promise.reject(new Error(`no open cursor for subscription ${subscriptionId}`));
    if (upTo > this.durableSeq) return Promise.reject(new Error(`cannot commit seq ${upTo} past the journal end ${this.durableSeq}`));
    cursor.seq = Math.max(cursor.seq, upTo);
    return this.cursorStore.write(subscriptionId, cursor.seq);
  }

  releaseCursor(subscriptionId: string): void {
    this.cursors.delete(subscriptionId);
    this.heldElsewhere.delete(subscriptionId);
  }

  async removeCursor(subscriptionId: string): Promise<void> {
    this.cursors.delete(subscriptionId);
    this.heldElsewhere.delete(subscriptionId);
    await this.cursorStore.remove(subscriptionId);
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
    return { segments: this.segments, durableSeq: this.durableSeq };
  }

  /** The newest seq a reader elsewhere has read for `subscriptionId`: retention does not count it as dropped. */
  noteHeld(subscriptionId: string, seq: number): void {
    if (this.cursors.has(subscriptionId)) this.heldElsewhere.set(subscriptionId, seq);
  }

  get firstAvailableSeq(): number {
    return this.segments[0]?.firstSeq ?? this.durableSeq + 1;
  }

  /** The segment holding `seq`, and the one after it. */
  segmentFor(seq: number): { segment: SegmentInfo; next: SegmentInfo | undefined } | undefined {
    return segmentHolding(this.segments, seq);
  }

  reportDamage(found: FoundDamage, subscriptionId: string | undefined, fromSeq: number): void {
    void this.recordDamage(found)
      .then((damage) => {
        const cursor = subscriptionId === undefined ? undefined : this.cursors.get(subscriptionId);
        if (cursor !== undefined) this.countDamage(damage, subscriptionId!, cursor.environment, fromSeq);
      })
      .catch((error: unknown) => this.logger.error({ err: error, file: found.path }, 'journal: cannot record damage'));
  }

  /** Enters damage in the ledger once: its bytes are copied to a `.corrupt` file and it is logged. */
  private recordDamage(found: FoundDamage): Promise<Damage> {
    const segment = basename(found.path);
    const key = `${segment}:${found.offset}`;
    const known = this.ledger.find(segment, found.offset);
    if (known !== undefined) return Promise.resolve(known);
    let recording = this.recording.get(key);
    if (recording === undefined) {
      recording = (async () => {
        const savedAs = found.endOffset > found.offset ? await saveDamagedBytes(found.path, found.offset, found.endOffset) : '';
        const { path: _path, ...range } = found;
        const damage: Damage = { ...range, segment, savedAs, counted: [] };
        this.ledger.add(damage);
        this.logDamage(damage);
        return damage;
      })().finally(() => this.recording.delete(key));
      this.recording.set(key, recording);
    }
    return recording;
  }

  private logDamage(damage: Damage): void {
    const seqs = damage.fromSeq <= damage.toSeq ? `seq ${damage.fromSeq}..${damage.toSeq} cannot be read` : 'no event was lost';
    this.logger.error(
      { file: join(this.journalDir, damage.segment), offset: damage.offset, endOffset: damage.endOffset, fromSeq: damage.fromSeq, toSeq: damage.toSeq, reason: damage.reason, savedAs: damage.savedAs },
      `journal: damaged bytes in ${damage.segment} at byte ${damage.offset}..${damage.endOffset} (${damage.reason}); ${seqs}; the bytes are saved in ${damage.savedAs || '(nothing to save)'}`,
    );
  }

  /** Counts, once per subscription, the damaged events it had not delivered (all of them when their environment is unknown). */
  private countDamage(damage: Damage, subscriptionId: string, environment: string, fromSeq: number): void {
    const first = Math.max(fromSeq, damage.fromSeq);
    if (first > damage.toSeq || damage.counted.includes(subscriptionId)) return;
    if (damage.environment !== null && damage.environment !== environment) return;
    damage.counted.push(subscriptionId);
    this.ledger.save();
    const report: DropReport = { subscriptionId, environment, count: damage.toSeq - first + 1, fromSeq: first, toSeq: damage.toSeq, reason: 'corrupt' };
    this.logger.warn(report, `journal: damage in ${damage.segment} cost subscription ${subscriptionId} ${report.count} events (seq ${first}..${damage.toSeq})`);
    this.options.onDrop?.(report);
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
      cursors: Object.fromEntries([...this.cursors].map(([id, cursor]) => [id, cursor.seq])),
      failed: this.failure !== undefined,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    clearInterval(this.timer);
    await this.flushing;
    await this.healing;
    await this.maintenance;
    await this.deletions;
    await this.cursorStore.settle();
    await this.ledger.settle();
    await this.handle.close();
    this.lock.release();
    this.tail.clear();
    this.appended.reject(new Error('the journal is closed'));
    this.appended.promise.catch(() => undefined);
  }
}

type BatchSummary = Pick<StoredBatch, 'firstSeq' | 'count' | 'environment'>;

async function batchesOf(segment: SegmentInfo): Promise<BatchSummary[]> {
  const batches: BatchSummary[] = [];
  await forEachBatch(segment, ({ firstSeq, count, environment }) => {
    batches.push({ firstSeq, count, environment });
    return false;
  });
  return batches;
}

/** Calls `visit` for each intact stored batch of a segment (stepping over damage) until it returns true. */
async function forEachBatch(segment: SegmentInfo, visit: (batch: StoredBatch) => boolean): Promise<void> {
  const reader = await SegmentFileReader.open(segment.path, segment.firstSeq - 1);
  if (reader === 'short') return;
  try {
    for (;;) {
      const read = await reader.read(256, segment.bytes);
      for (const batch of read.batches) if (visit(batch)) return;
      if (read.state === 'end' || (read.state === 'corrupt' && (await reader.skipDamage(segment.bytes)) === undefined)) return;
    }
  } finally {
    await reader.close();
  }
}

function describeCode(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}

async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let total = 0;
  for (const buffer of buffers) total += buffer.length;
  let { bytesWritten } = await handle.writev(buffers);
  if (bytesWritten === total) return;
  // A short write is rare on files; finish it from one joined buffer.
  const all = Buffer.concat(buffers);
  while (bytesWritten < total) bytesWritten += (await handle.write(all, bytesWritten, total - bytesWritten)).bytesWritten;
}
