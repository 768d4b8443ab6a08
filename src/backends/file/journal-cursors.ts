// The file journal's cursors: each subscription's last delivered seq (saved atomically by the
// CursorStore), the environment it counts drops in, and what readers elsewhere hold in memory, so
// retention does not count events a reader already has as lost.
import type { StartAt } from '../../config/gateway-config.js';
import type { Logger } from '../../logger.js';
import type { CursorStore } from './cursor-store.js';
import type { DamageLedger } from './damage-ledger.js';

/** What the cursors need of their journal. */
export interface CursorJournal {
  readonly durableSeq: number;
  readonly firstAvailableSeq: number;
  readonly ledger: DamageLedger;
  /** Seqs skipped after damage hid the journal's end: a cursor inside lost nothing by moving to its end. */
  readonly gap: { after: number; upTo: number } | undefined;
  seqBefore(at: number): Promise<number>;
}

export class JournalCursors {
  private readonly cursors = new Map<string, { seq: number; environment: string }>();
  /** What the delivery thread's readers hold in memory, per subscription. */
  private readonly heldElsewhere = new Map<string, number>();

  constructor(
    private readonly journal: CursorJournal,
    private readonly store: CursorStore,
    private readonly logger: Logger,
  ) {}

  /** The subscription's cursor, created at `startAt` when it has none (see Journal.openCursor). */
  async open(subscriptionId: string, environment: string, startAt: StartAt): Promise<number> {
    // Already open (the registry holds every configured cursor, then a pipeline starts on it): the
    // value in memory is the newest; the file may still be waiting for its write.
    const opened = this.cursors.get(subscriptionId);
    if (opened !== undefined) {
      opened.environment = environment;
      return opened.seq;
    }
    let seq: number | undefined;
    try {
      seq = this.store.read(subscriptionId);
    } catch (error) {
      // Duplicates, never loss: the subscription starts again from the oldest retained event.
      seq = this.journal.firstAvailableSeq - 1;
      this.logger.error({ subscription: subscriptionId, err: error, cursor: seq }, `journal: ${(error as Error).message}; subscription ${subscriptionId} resumes from the oldest retained event (seq ${seq + 1}), so some events may be delivered again`);
      await this.store.write(subscriptionId, seq);
    }
    if (seq === undefined) {
      seq = await this.initialCursor(startAt);
      await this.store.write(subscriptionId, seq);
    } else if (seq > this.journal.durableSeq) {
      this.logger.warn({ subscription: subscriptionId, cursor: seq, lastSeq: this.journal.durableSeq }, `journal: the cursor of subscription ${subscriptionId} (${seq}) is past the journal end; moved back to ${this.journal.durableSeq}`);
      seq = this.journal.durableSeq;
      await this.store.write(subscriptionId, seq);
    }
    this.cursors.set(subscriptionId, { seq, environment });
    // Damage found at start-up or by an earlier run costs this subscription what it had not delivered.
    for (const damage of this.journal.ledger.all) this.journal.ledger.count(damage, subscriptionId, environment, seq + 1);
    if (this.journal.gap !== undefined && seq >= this.journal.gap.after && seq < this.journal.gap.upTo) {
      // Past every readable event, in the seqs damage took: nothing is left before the gap's end.
      seq = this.journal.gap.upTo;
      this.cursors.get(subscriptionId)!.seq = seq;
      await this.store.write(subscriptionId, seq);
    }
    return seq;
  }

  private async initialCursor(startAt: StartAt): Promise<number> {
    if (startAt.kind === 'latest') return this.journal.durableSeq;
    if (startAt.kind === 'earliest') return this.journal.firstAvailableSeq - 1;
    return this.journal.seqBefore(startAt.at.getTime());
  }

  commit(subscriptionId: string, upTo: number): Promise<void> {
    const cursor = this.cursors.get(subscriptionId);
    if (cursor === undefined) return Promise.reject(new Error(`no open cursor for subscription ${subscriptionId}`));
    if (upTo > this.journal.durableSeq) return Promise.reject(new Error(`cannot commit seq ${upTo} past the journal end ${this.journal.durableSeq}`));
    cursor.seq = Math.max(cursor.seq, upTo);
    return this.store.write(subscriptionId, cursor.seq);
  }

  release(subscriptionId: string): void {
    this.cursors.delete(subscriptionId);
    this.heldElsewhere.delete(subscriptionId);
  }

  async remove(subscriptionId: string): Promise<void> {
    this.cursors.delete(subscriptionId);
    this.heldElsewhere.delete(subscriptionId);
    await this.store.remove(subscriptionId);
  }

  /** The newest seq a reader elsewhere (the delivery thread) has read for `subscriptionId`. */
  noteHeld(subscriptionId: string, seq: number): void {
    if (this.cursors.has(subscriptionId)) this.heldElsewhere.set(subscriptionId, seq);
  }

  get(subscriptionId: string): { seq: number; environment: string } | undefined {
    return this.cursors.get(subscriptionId);
  }

  /** Each open cursor with the newest seq its readers hold (`heldHere` for this thread's readers). */
  *held(heldHere: (subscriptionId: string) => number): Iterable<[string, { seq: number; environment: string }, number]> {
    for (const [id, cursor] of this.cursors) yield [id, cursor, Math.max(heldHere(id), this.heldElsewhere.get(id) ?? 0)];
  }

  seqs(): Record<string, number> {
    return Object.fromEntries([...this.cursors].map(([id, cursor]) => [id, cursor.seq]));
  }

  highestSaved(): number {
    return this.store.highestSaved();
  }

  settle(): Promise<void> {
    return this.store.settle();
  }
}
