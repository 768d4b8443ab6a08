// The file journal shared with the delivery thread (src/contracts/journal-sharing.ts). The main
// thread keeps the files, the cursors and retention; it tells the worker's JournalMirror of every
// durable batch (its bytes and its ingest scan, packed at append, cloned once) and of every change to the
// segment list, and answers what the mirror asks: cursors, commits, damage, what readers hold.
import type { StartAt } from '../../config/gateway-config.js';
import type { JournalSharing, OpenMirror } from '../../contracts/journal-sharing.js';
import type { FileJournal } from './file-journal.js';
import type { FoundDamage } from './damage-ledger.js';
import { JournalMirror, mirroredBatch, type MirroredBatch } from './journal-mirror.js';
import type { SegmentInfo } from './segment-file.js';

type MirrorStart = { segments: readonly SegmentInfo[]; durableSeq: number; tailBytes: number };

export function fileJournalSharing(journal: FileJournal): JournalSharing {
  return {
    mirrorModule: import.meta.url,
    share: (notify): MirrorStart => ({
      tailBytes: journal.tail.maxBytes,
      // The snapshot and the follower are taken in one step: no batch falls between them.
      ...journal.follow({
        durable: (tails, activeSegmentBytes) => notify('durable', { batches: tails.map(mirroredBatch), activeSegmentBytes }),
        // Posting copies them: the thread's list does not move with the journal's.
        segments: (segments) => notify('segments', segments),
      }),
    }),
    unshare: () => journal.follow(undefined),
    answers: {
      openCursor: ({ subscriptionId, environment, startAt }: { subscriptionId: string; environment: string; startAt: StartAt }) => journal.openCursor(subscriptionId, environment, startAt),
      commit: ({ subscriptionId, upTo }: { subscriptionId: string; upTo: number }) => journal.commit(subscriptionId, upTo),
      releaseCursor: (subscriptionId: string) => journal.releaseCursor(subscriptionId),
      reportDamage: ({ damage, subscriptionId, fromSeq }: { damage: FoundDamage; subscriptionId: string | undefined; fromSeq: number }) => journal.reportDamage(damage, subscriptionId, fromSeq),
      noteHeld: ({ subscriptionId, seq }: { subscriptionId: string; seq: number }) => journal.noteHeld(subscriptionId, seq),
    },
  };
}

/** In the worker: the mirror, asking the owner through `line`. */
export const openMirror: OpenMirror = (start, line) => {
  const journal = new JournalMirror(
    {
      openCursor: (subscriptionId, environment, startAt) => line.call('openCursor', { subscriptionId, environment, startAt }),
      commit: (subscriptionId, upTo) => line.call('commit', { subscriptionId, upTo }),
      releaseCursor: (subscriptionId) => line.notify('releaseCursor', subscriptionId),
      reportDamage: (damage, subscriptionId, fromSeq) => line.notify('reportDamage', { damage, subscriptionId, fromSeq }),
      noteHeld: (subscriptionId, seq) => line.notify('noteHeld', { subscriptionId, seq }),
    },
    start as MirrorStart,
    (start as MirrorStart).tailBytes,
  );
  return {
    journal,
    heard(name, data) {
      if (name === 'durable') {
        const { batches, activeSegmentBytes } = data as { batches: MirroredBatch[]; activeSegmentBytes: number };
        journal.received(batches, activeSegmentBytes);
      } else if (name === 'segments') journal.segmentsChanged(data as SegmentInfo[]);
    },
  };
};
