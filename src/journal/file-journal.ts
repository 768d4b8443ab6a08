// The embedded journal: append-only segment files with checksummed records, group commit (one
// fdatasync covers every append waiting at that moment), atomic per-subscription cursors,
// retention by age and size, and an in-memory tail for readers that keep up.
import { mkdir, open, rename, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { StartAt } from '../config/gateway-config.js';
import type { Logger } from '../logger.js';
import { CursorStore } from './cursor-store.js';
import { DirectoryLock } from './directory-lock.js';
import { FileJournalReader, type ReaderSource } from './file-journal-reader.js';
import { fsyncDirectory } from './fsync-dir.js';
import { JournalFailedError, JournalFullError, type AppendBatch, type DropReport, type Journal, type JournalReader, type JournalStats } from './journal.js';
import { MemoryTail, type TailBatch } from './memory-tail.js';
import { asError } from '../util/as-error.js';
import { deferred } from '../util/deferred.js';
import { encodeBatchHeader, type StoredBatch } from './record-codec.js';
import { listSegments, segmentHeaderBytes, segmentMagic, segmentPath, SegmentFileReader, type SegmentInfo } from './segment-file.js';

export interface FileJournalOptions {
  /** storage.dir: segments go to `<dir>/journal`, cursors to `<dir>/cursors`. */
  dir: string;
  maxBytes: number;
  maxAgeMs: number;
  whenFull: 'reject' | 'drop-oldest';
  logger: Logger;
  /** A segment is closed once it reaches this size. Default: maxBytes / 16, between 1 MiB and 64 MiB. */
  segmentBytes?: number;
  /** Payload bytes of the newest batches kept in memory for caught-up readers. Default 8 MiB. */
  tailBytes?: number;
  maintenanceIntervalMs?: number;
  now?: () => number;
  onDrop?: (report: DropReport) => void;
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
  private readonly journalDir: string;
  private readonly segmentBytes: number;
  private readonly now: () => number;
  private readonly logger: Logger;

  private constructor(private readonly options: FileJournalOptions) {
    this.journalDir = join(options.dir, 'journal');
    this.cursorStore = new CursorStore(join(options.dir, 'cursors'));
    this.segmentBytes = options.segmentBytes ?? Math.min(64 << 20, Math.max(1 << 20, Math.floor(options.maxBytes / 16)));
    this.tail = new MemoryTail(options.tailBytes ?? 8 << 20);
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
  }

  /** Takes storage.dir's lock (DirectoryInUseError if another process holds it), then recovers. */
  static async open(options: FileJournalOptions): Promise<FileJournal> {
    const journal = new FileJournal(options);
    await mkdir(options.dir, { recursive: true });
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
    await mkdir(this.journalDir, { recursive: true });
    await mkdir(join(this.options.dir, 'cursors'), { recursive: true });
    this.segments = await listSegments(this.journalDir);
    const last = this.segments.at(-1);
    if (last === undefined) {
      await this.createSegment(1);
    } else {
      this.lastSeq = await this.recoverSegment(last);
      this.handle = await open(last.path, 'a');
    }
    this.durableSeq = this.lastSeq;
    this.totalBytes = this.segments.reduce((sum, segment) => sum + segment.bytes, 0);
    this.logger.info({ dir: this.journalDir, segments: this.segments.length, firstSeq: this.firstAvailableSeq, lastSeq: this.lastSeq, bytes: this.totalBytes }, 'journal opened');
  }

  /** Scans the last segment, truncating a torn or corrupt tail; returns its last seq. */
  private async recoverSegment(segment: SegmentInfo): Promise<number> {
    let lastSeq = segment.firstSeq - 1;
    const reader = await SegmentFileReader.open(segment.path);
    if (reader === 'short' || reader === 'bad-header') {
      if (reader === 'bad-header') {
        await rename(segment.path, `${segment.path}.corrupt`);
        this.logger.error({ file: segment.path }, `journal: ${segment.path} has no valid segment header; moved aside to ${segment.path}.corrupt`);
      } else if (segment.bytes > 0) {
        this.logger.warn({ file: segment.path, offset: 0, bytes: segment.bytes }, `journal: cut a torn segment header in ${segment.path} at byte 0`);
      }
      await this.rewriteHeader(segment);
      return lastSeq;
    }
    let cutAt: number | undefined;
    let why = 'torn record';
    let offset = segmentHeaderBytes;
    try {
      reading: for (;;) {
        const read = await reader.read(256);
        for (const batch of read.batches) {
          if (batch.firstSeq !== lastSeq + 1 || batch.count < 1) {
            cutAt = offset;
            why = `record out of sequence (seq ${batch.firstSeq} after ${lastSeq})`;
            break reading;
          }
          lastSeq = batch.firstSeq + batch.count - 1;
          offset += batch.size;
        }
        if (read.state === 'corrupt') {
          cutAt = read.offset;
          why = `corrupt record (${read.reason})`;
          break;
        }
        if (read.state === 'end') {
          if (read.offset < segment.bytes) cutAt = read.offset;
          break;
        }
      }
    } finally {
      await reader.close();
    }
    if (cutAt !== undefined) {
      await truncate(segment.path, cutAt);
      const handle = await open(segment.path, 'r+');
      await handle.sync().finally(() => handle.close());
      this.logger.warn(
        { file: segment.path, offset: cutAt, bytesCut: segment.bytes - cutAt, lastSeq },
        `journal: cut a ${why} at the end of ${segment.path} at byte ${cutAt} (${segment.bytes - cutAt} bytes removed); every record before it is kept`,
      );
      segment.bytes = cutAt;
    }
    return lastSeq;
  }

  private async rewriteHeader(segment: SegmentInfo): Promise<void> {
    const handle = await open(segment.path, 'w');
    await handle.write(segmentMagic, 0, segmentHeaderBytes, 0);
    await handle.sync();
    await handle.close();
    await fsyncDirectory(this.journalDir);
    segment.bytes = segmentHeaderBytes;
    this.handle = await open(segment.path, 'a');
  }

  private async createSegment(firstSeq: number): Promise<void> {
    const path = segmentPath(this.journalDir, firstSeq);
    // 'w': a file left by a roll that failed half-way is started again.
    const handle = await open(path, 'w');
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
    await writeFile(probe, Buffer.alloc(4096), { flush: true });
    await unlink(probe);
    this.handle = await open(active.path, 'a');
  }

  private signalAppended(): void {
    const current = this.appended;
    this.appended = deferred<void>();
    current.resolve();
  }

  waitForAppend(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the journal is closed'));
    if (!signal) return this.appended.promise;
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      this.appended.promise.then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(asError(error));
        },
      );
    });
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
      const batches = this.consumedBy(lastSeq) ? [] : await batchesOf(oldest.path);
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
      const from = Math.max(cursor.seq, this.readers.get(id)?.heldSeq ?? 0);
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
    let seq = this.cursorStore.read(subscriptionId);
    if (seq === undefined) {
      seq = await this.initialCursor(startAt);
      await this.cursorStore.write(subscriptionId, seq);
    } else if (seq > this.durableSeq) {
      this.logger.warn({ subscription: subscriptionId, cursor: seq, lastSeq: this.durableSeq }, 'journal: a cursor is past the journal end; moved back to the end');
      seq = this.durableSeq;
    }
    this.cursors.set(subscriptionId, { seq, environment });
    return seq;
  }

  private async initialCursor(startAt: StartAt): Promise<number> {
    if (startAt.kind === 'latest') return this.durableSeq;
    if (startAt.kind === 'earliest') return this.firstAvailableSeq - 1;
    const at = startAt.at.getTime();
    for (const segment of this.segments) {
      if (segment.lastWriteMs < at) continue;
      let found: number | undefined;
      await forEachBatch(segment.path, (batch) => {
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
  }

  reader(afterSeq: number, subscriptionId?: string): JournalReader {
    const reader = new FileJournalReader(this, afterSeq + 1, () => {
      if (subscriptionId !== undefined && this.readers.get(subscriptionId) === reader) this.readers.delete(subscriptionId);
    });
    if (subscriptionId !== undefined) this.readers.set(subscriptionId, reader);
    return reader;
  }

  get firstAvailableSeq(): number {
    return this.segments[0]?.firstSeq ?? this.durableSeq + 1;
  }

  /** The segment holding `seq`, and the one after it. */
  segmentFor(seq: number): { segment: SegmentInfo; next: SegmentInfo | undefined } | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      if (this.segments[i]!.firstSeq <= seq) return { segment: this.segments[i]!, next: this.segments[i + 1] };
    }
    return undefined;
  }

  reportCorrupt(file: string, offset: number, reason: string, fromSeq: number, toSeq: number): void {
    this.logger.error({ file, offset, reason, fromSeq, toSeq }, `journal: corrupt record in ${file} at byte ${offset} (${reason}); seq ${fromSeq}..${toSeq} skipped`);
    this.options.onDrop?.({ subscriptionId: '', environment: '', count: toSeq - fromSeq + 1, fromSeq, toSeq, reason: 'corrupt' });
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
    await this.handle.close();
    this.lock.release();
    this.tail.clear();
    this.appended.reject(new Error('the journal is closed'));
    this.appended.promise.catch(() => undefined);
  }
}

type BatchSummary = Pick<StoredBatch, 'firstSeq' | 'count' | 'environment'>;

async function batchesOf(path: string): Promise<BatchSummary[]> {
  const batches: BatchSummary[] = [];
  await forEachBatch(path, ({ firstSeq, count, environment }) => {
    batches.push({ firstSeq, count, environment });
    return false;
  });
  return batches;
}

/** Calls `visit` for each stored batch of a segment until it returns true. */
async function forEachBatch(path: string, visit: (batch: StoredBatch) => boolean): Promise<void> {
  const reader = await SegmentFileReader.open(path);
  if (typeof reader === 'string') return;
  try {
    for (let read = await reader.read(256); read.batches.length > 0; read = await reader.read(256)) {
      for (const batch of read.batches) if (visit(batch)) return;
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
