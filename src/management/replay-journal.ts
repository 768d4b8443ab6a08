// A Journal a replay job runs a pipeline on, beside the subscription's live one: the records of a
// fixed range (a time range of the real journal, or dead letters being replayed), read in order,
// with a cursor of its own that never touches the subscription's. The job is done when that cursor
// reaches the last record.
import type { StartAt } from '../config/gateway-config.js';
import type { JournalRecord } from '../event/activity-event.js';
import type { AppendBatch, Appended, Journal, JournalReader, JournalStats } from '../contracts/journal.js';
import { deferred } from '../util/deferred.js';

/** Where the records come from: a reader from a seq on, as the real journal gives one. */
export interface RecordSource {
  reader(afterSeq: number): JournalReader;
}

/** A fixed list of records (dead letters), sorted by seq. */
export function recordList(records: readonly JournalRecord[]): RecordSource {
  return {
    reader(afterSeq: number): JournalReader {
      let next = records.findIndex((record) => record.seq > afterSeq);
      if (next < 0) next = records.length;
      return {
        get nextSeq() {
          return records[next]?.seq ?? Number.MAX_SAFE_INTEGER;
        },
        read: (max, signal) => {
          if (next >= records.length) return never(signal);
          const out = records.slice(next, next + max);
          next += out.length;
          return Promise.resolve(out);
        },
        close: () => Promise.resolve(),
      };
    },
  };
}

/** Waits until the signal aborts: past the range there is nothing more to read. */
function never(signal?: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
}

export class ReplayJournal implements Journal {
  private committed: number;
  private readonly finished = deferred<void>();

  /** Records with fromSeq ≤ seq ≤ toSeq from `source`. */
  constructor(
    private readonly source: RecordSource,
    private readonly fromSeq: number,
    private readonly toSeq: number,
  ) {
    this.committed = fromSeq - 1;
    if (toSeq < fromSeq) this.finished.resolve();
  }

  /** Resolves when every record of the range was delivered, dead-lettered or filtered out. */
  get done(): Promise<void> {
    return this.finished.promise;
  }

  /** The last seq delivered (or passed) so far. */
  get position(): number {
    return this.committed;
  }

  append(_environment: string, _batch: AppendBatch): Promise<Appended> {
    return Promise.reject(new Error('a replay appends nothing'));
  }

  openCursor(_subscriptionId: string, _environment: string, _startAt: StartAt): Promise<number> {
    return Promise.resolve(this.committed);
  }

  reader(afterSeq: number): JournalReader {
    const inner = this.source.reader(afterSeq);
    const toSeq = this.toSeq;
    return {
      get nextSeq() {
        return inner.nextSeq;
      },
      async read(max, signal) {
        if (inner.nextSeq > toSeq) return never(signal);
        const records = await inner.read(max, signal);
        const within = records.filter((record) => record.seq <= toSeq);
        return within.length > 0 ? within : never(signal);
      },
      close: () => inner.close(),
    };
  }

  commit(_subscriptionId: string, upTo: number): Promise<void> {
    this.committed = Math.max(this.committed, upTo);
    if (this.committed >= this.toSeq) this.finished.resolve();
    return Promise.resolve();
  }

  releaseCursor(): void {}

  removeCursor(): Promise<void> {
    return Promise.resolve();
  }

  stats(): JournalStats {
    return { firstSeq: this.fromSeq, lastSeq: this.toSeq, bytes: 0, maxBytes: 0, segments: 0, cursors: {}, failed: false };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
