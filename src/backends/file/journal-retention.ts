// Retention (SPEC §3): segments go, oldest first, when they are older than storage.maxAgeHours or
// the journal is over storage.maxMB (whenFull: drop-oldest), and before an append is refused
// (whenFull: reject) when every subscription has delivered them. What a lagging subscription had
// not delivered is counted per subscription, never silently.
import { JournalFullError, type DropReport } from '../../contracts/journal.js';
import type { Logger } from '../../logger.js';
import { batchesOf, type BatchSummary, type SegmentInfo } from './segment-file.js';

/** What a refused append tells the client to wait, in seconds. */
export const retryAfterSeconds = 5;

/** What retention sees of the journal. */
export interface RetainedJournal {
  /** Oldest first; the last one is being written. */
  readonly segments: readonly SegmentInfo[];
  readonly storedBytes: number;
  readonly isClosed: boolean;
  cursorsHeld(): Iterable<[string, { seq: number; environment: string }, number]>;
  removeOldest(): void;
}

export interface RetentionOptions {
  maxBytes: number;
  maxAgeMs: number;
  whenFull: 'reject' | 'drop-oldest';
  logger: Logger;
  now?: () => number;
  onDrop?: (report: DropReport) => void;
}

export class JournalRetention {
  private running: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(
    private readonly journal: RetainedJournal,
    private readonly options: RetentionOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Throws JournalFullError when `bytes` more do not fit and whenFull is reject (after deleting what every subscription delivered). */
  ensureCapacity(bytes: number): void {
    if (this.journal.storedBytes + bytes <= this.options.maxBytes) return;
    if (this.options.whenFull === 'drop-oldest') {
      // Accept now; maintenance drops the oldest segments (counting what lagging subscriptions lose).
      void this.run();
      return;
    }
    // Segments every subscription has delivered are kept only for replay: they make room first.
    while (this.journal.segments.length > 1 && this.journal.storedBytes + bytes > this.options.maxBytes) {
      if (!this.consumedBy(this.journal.segments[1]!.firstSeq - 1)) break;
      this.journal.removeOldest();
    }
    if (this.journal.storedBytes + bytes > this.options.maxBytes) throw new JournalFullError(retryAfterSeconds);
  }

  private consumedBy(lastSeq: number): boolean {
    for (const [, cursor] of this.journal.cursorsHeld()) if (cursor.seq < lastSeq) return false;
    return true;
  }

  /** Runs retention once (at most one run at a time). */
  run(): Promise<void> {
    this.running ??= this.maintain()
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'journal: retention failed'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Deletes segments past maxAgeHours, and over maxMB as whenFull allows, oldest first. */
  private async maintain(): Promise<void> {
    const oldestAllowed = this.now() - this.options.maxAgeMs;
    while (this.journal.segments.length > 1 && !this.journal.isClosed) {
      const oldest = this.journal.segments[0]!;
      const lastSeq = this.journal.segments[1]!.firstSeq - 1;
      const expired = oldest.lastWriteMs < oldestAllowed;
      const over = this.journal.storedBytes > this.options.maxBytes;
      if (!expired && !(over && (this.consumedBy(lastSeq) || this.options.whenFull === 'drop-oldest'))) break;
      const batches = this.consumedBy(lastSeq) ? [] : await batchesOf(oldest);
      if (this.journal.segments[0] !== oldest) continue;
      // Counted and deleted in one step, so no reader takes an event between the two.
      this.reportDrops(oldest, lastSeq, batches, expired ? 'age' : 'size');
      this.journal.removeOldest();
    }
  }

  /**
   * Counts, per lagging subscription, the events of its environment that retention removes: those
   * after both its cursor and what its reader already holds (read into memory, still delivered).
   */
  private reportDrops(segment: SegmentInfo, lastSeq: number, batches: BatchSummary[], reason: 'age' | 'size'): void {
    for (const [id, cursor, held] of this.journal.cursorsHeld()) {
      const from = Math.max(cursor.seq, held);
      if (from >= lastSeq) continue;
      let count = 0;
      for (const batch of batches) {
        const last = batch.firstSeq + batch.count - 1;
        if (batch.environment === cursor.environment && last > from) count += last - Math.max(from, batch.firstSeq - 1);
      }
      const report: DropReport = { subscriptionId: id, environment: cursor.environment, count, fromSeq: Math.max(from + 1, segment.firstSeq), toSeq: lastSeq, reason };
      if (count > 0) {
        this.options.logger.warn(report, `journal: retention (${reason}) removed ${count} events subscription ${id} had not delivered (seq ${report.fromSeq}..${lastSeq})`);
        this.options.onDrop?.(report);
      }
      // The subscription can no longer start before this segment's end.
      cursor.seq = Math.max(cursor.seq, lastSeq);
    }
  }

  /** Waits for a run in progress. */
  settle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}
