// When the journal cannot write (disk full, too many open files, a directory gone): nothing of the
// failed write was acknowledged, ingest answers 503 journal_unavailable, and a probe loop with
// backoff repairs the active segment and accepts again once the disk takes a write and an fsync.
import { unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logger.js';
import { asError } from '../../util/as-error.js';
import { privateFileMode } from '../../util/private-modes.js';

/** Backoff between probes while the journal cannot write. */
const healDelayMs = { first: 100, max: 5_000 };

export class WriteHealth {
  /** Set while writes fail; the probe loop clears it. */
  failure: Error | undefined;
  private healing: Promise<void> | null = null;
  private readonly stopping = new AbortController();

  constructor(
    /** Repairs and reopens the active segment; throws while the disk still fails. */
    private readonly repair: () => Promise<void>,
    private readonly journalDir: string,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /** A write, fsync or roll failed: closes `handle` and probes until `repair` succeeds. */
  failed(error: Error, handle: FileHandle): void {
    this.failure = error;
    this.logger.error({ err: error, dir: this.journalDir }, `journal: cannot write (${(error as NodeJS.ErrnoException).code ?? error.message}); ingest answers 503 journal_unavailable until a probe write succeeds`);
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
    for (let delay = healDelayMs.first; ; delay = Math.min(delay * 2, healDelayMs.max)) {
      if (!(await sleep(delay, true, { signal: this.stopping.signal }).catch(() => false))) return;
      try {
        await this.repair();
      } catch (error) {
        this.failure = asError(error);
        continue;
      }
      this.failure = undefined;
      this.logger.info({ dir: this.journalDir, afterMs: this.now() - started }, 'journal: writing again; ingest accepts events');
      return;
    }
  }

  /** The journal closes: the probe loop ends. */
  stop(): void {
    this.stopping.abort();
  }

  settle(): Promise<void> {
    return this.healing ?? Promise.resolve();
  }
}

/** Proves the directory takes a write and an fsync. */
export async function proveWrite(dir: string): Promise<void> {
  const probe = join(dir, 'write-probe');
  await writeFile(probe, Buffer.alloc(4096), { flush: true, mode: privateFileMode });
  await unlink(probe);
}
