// What the journal found damaged, kept in `<journal>/damage.json`, so each damage is logged and
// moved aside once, and each subscription's loss is counted once, across readers and restarts.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DropReport } from '../../contracts/journal.js';
import type { Logger } from '../../logger.js';
import { saveDamagedBytes } from './segment-file.js';
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

/** Damage a reader met in the file at `path`. */
export interface FoundDamage extends DamagedRange {
  path: string;
}

export class DamageLedger {
  private saving: Promise<void> = Promise.resolve();

  /** Damage being recorded, by segment and offset, so readers meeting it together record it once. */
  private readonly recording = new Map<string, Promise<Damage>>();

  private constructor(
    private readonly journalDir: string,
    private readonly path: string,
    private entries: Damage[],
    private readonly logger: Logger,
    private readonly onDrop: ((report: DropReport) => void) | undefined,
  ) {}

  static load(journalDir: string, logger: Logger, onDrop?: (report: DropReport) => void): DamageLedger {
    const path = join(journalDir, 'damage.json');
    let entries: Damage[] = [];
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as { damage?: unknown };
      if (!Array.isArray(parsed.damage)) throw new Error('no "damage" list');
      entries = parsed.damage as Damage[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.error({ file: path, err: error }, `journal: ${path} cannot be read; damage found earlier may be counted again`);
    }
    return new DamageLedger(journalDir, path, entries, logger, onDrop);
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

  /** Enters damage in the ledger once: its bytes are copied to a `.corrupt` file and it is logged. */
  record(found: FoundDamage): Promise<Damage> {
    const segment = basename(found.path);
    const key = `${segment}:${found.offset}`;
    const known = this.find(segment, found.offset);
    if (known !== undefined) return Promise.resolve(known);
    let recording = this.recording.get(key);
    if (recording === undefined) {
      recording = (async () => {
        const savedAs = found.endOffset > found.offset ? await saveDamagedBytes(found.path, found.offset, found.endOffset) : '';
        const { path: _path, ...range } = found;
        const damage: Damage = { ...range, segment, savedAs, counted: [] };
        this.add(damage);
        this.log(damage);
        return damage;
      })().finally(() => this.recording.delete(key));
      this.recording.set(key, recording);
    }
    return recording;
  }

  /** Logs damage once, where it is and what it cost. */
  log(damage: Damage): void {
    const seqs = damage.fromSeq <= damage.toSeq ? `seq ${damage.fromSeq}..${damage.toSeq} cannot be read` : 'no event was lost';
    this.logger.error(
      { file: join(this.journalDir, damage.segment), offset: damage.offset, endOffset: damage.endOffset, fromSeq: damage.fromSeq, toSeq: damage.toSeq, reason: damage.reason, savedAs: damage.savedAs },
      `journal: damaged bytes in ${damage.segment} at byte ${damage.offset}..${damage.endOffset} (${damage.reason}); ${seqs}; the bytes are saved in ${damage.savedAs || '(nothing to save)'}`,
    );
  }

  /** Counts, once per subscription, the damaged events it had not delivered (all of them when their environment is unknown). */
  count(damage: Damage, subscriptionId: string, environment: string, fromSeq: number): void {
    const first = Math.max(fromSeq, damage.fromSeq);
    if (first > damage.toSeq || damage.counted.includes(subscriptionId)) return;
    if (damage.environment !== null && damage.environment !== environment) return;
    damage.counted.push(subscriptionId);
    this.save();
    const report: DropReport = { subscriptionId, environment, count: damage.toSeq - first + 1, fromSeq: first, toSeq: damage.toSeq, reason: 'corrupt' };
    this.logger.warn(report, `journal: damage in ${damage.segment} cost subscription ${subscriptionId} ${report.count} events (seq ${first}..${damage.toSeq})`);
    this.onDrop?.(report);
  }
}
