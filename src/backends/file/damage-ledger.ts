// What the journal found damaged, kept in `<journal>/damage.json`, so each damage is logged and
// moved aside once, and each subscription's loss is counted once, across readers and restarts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../logger.js';
import { writeFileAtomic } from '../../util/fsync-dir.js';

/** Bytes of a segment that hold no readable record, and the seqs they cost. */
export interface DamagedRange {
  offset: number;
  endOffset: number;
  /** The seqs that cannot be read (fromSeq > toSeq when the damage held no event). */
  fromSeq: number;
  toSeq: number;
  /** The lost events' environment, when the damaged record's header could still be trusted. */
  environment: string | null;
  reason: string;
}

export interface Damage extends DamagedRange {
  /** The segment file's name in the journal directory. */
  segment: string;
  /** Where the damaged bytes were copied. */
  savedAs: string;
  /** Subscriptions whose loss was counted. */
  counted: string[];
}

export class DamageLedger {
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private entries: Damage[],
    private readonly logger: Logger,
  ) {}

  static load(journalDir: string, logger: Logger): DamageLedger {
    const path = join(journalDir, 'damage.json');
    let entries: Damage[] = [];
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as { damage?: unknown };
      if (!Array.isArray(parsed.damage)) throw new Error('no "damage" list');
      entries = parsed.damage as Damage[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.error({ file: path, err: error }, `journal: ${path} cannot be read; damage found earlier may be counted again`);
    }
    return new DamageLedger(path, entries, logger);
  }

  get all(): readonly Damage[] {
    return this.entries;
  }

  find(segment: string, offset: number): Damage | undefined {
    return this.entries.find((entry) => entry.segment === segment && entry.offset === offset);
  }

  add(damage: Damage): void {
    this.entries.push(damage);
    this.save();
  }

  /** Forgets damage whose seqs retention has removed. */
  prune(firstAvailableSeq: number): void {
    const kept = this.entries.filter((entry) => entry.toSeq >= firstAvailableSeq);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.save();
  }

  /** Writes the ledger in the background, one write after another; `settle` waits for them. */
  save(): void {
    this.saving = this.saving
      .then(() => writeFileAtomic(this.path, `${JSON.stringify({ damage: this.entries }, null, 1)}\n`))
      .catch((error: unknown) => this.logger.error({ file: this.path, err: error }, 'journal: cannot save the damage ledger'));
  }

  settle(): Promise<void> {
    return this.saving;
  }
}
