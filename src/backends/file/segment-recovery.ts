// Start-up recovery of the newest segment, the only one read at start: every intact record is
// kept, damaged bytes are moved aside and counted, and only a torn tail (a write that never
// finished, so was never acknowledged) is cut. Older segments are checked as they are read.
import { open, rename, truncate } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from '../../logger.js';
import { fsyncDirectory } from '../../util/fsync-dir.js';
import { privateFileMode } from '../../util/private-modes.js';
import type { Damage, DamageLedger } from './damage-ledger.js';
import { recordHeaderBytes } from './record-codec.js';
import { segmentHeaderBytes, segmentMagic, SegmentFileReader, type SegmentInfo } from './segment-file.js';

export interface RecoveryContext {
  journalDir: string;
  logger: Logger;
  ledger: DamageLedger;
}

/** Where numbering continues (after `endSeq`); `uncertain` when damage hides where the lost events ended; `setAside` when the whole segment was unreadable and renamed. */
export interface Recovered {
  lastReadableSeq: number;
  endSeq: number;
  uncertain: boolean;
  setAside?: boolean;
}

/**
 * Scans the newest segment: keeps every intact record, moves damaged bytes aside (continuing at
 * the next intact record), and cuts only a torn tail, a last record whose write never finished
 * and so was never acknowledged. Numbering continues after `endSeq`; `uncertain` when damage
 * hides where the lost events ended.
 */
export async function recoverNewest(segment: SegmentInfo, context: RecoveryContext): Promise<Recovered> {
  const reader = await SegmentFileReader.open(segment.path, segment.firstSeq - 1);
  if (reader === 'short') {
    // Cut off while being created: nothing was ever written to it.
    if (segment.bytes > 0) context.logger.warn({ file: segment.path, offset: 0, bytes: segment.bytes }, `journal: cut a torn segment header in ${segment.path} at byte 0`);
    await rewriteMagic(segment.path, 'w', context);
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
        await moveSegmentAside(segment, context);
        return { lastReadableSeq: segment.firstSeq - 1, endSeq: segment.firstSeq - 1, uncertain: true, setAside: true };
      }
      // Too short to have held an acknowledged record, or a record whose write did not finish.
      const torn = segment.bytes - at < recordHeaderBytes || (read.state === 'end' && header?.firstSeq === fromSeq);
      if (found === undefined && torn) {
        await cut(segment, at, `journal: cut a torn record at the end of ${segment.path} at byte ${at} (${segment.bytes - at} bytes removed); every record before it is kept`, context);
        break;
      }
      magicDamaged ||= at === 0;
      const endOffset = found?.offset ?? segment.bytes;
      // The damaged record's own header is believed only where it agrees with its neighbours.
      const trusted = header !== undefined && header.firstSeq === fromSeq && at + header.size === endOffset && (found === undefined || header.firstSeq + header.count === found.firstSeq);
      const toSeq = found ? found.firstSeq - 1 : trusted ? fromSeq + header.count - 1 : fromSeq;
      await context.ledger.record({ path: segment.path, offset: at, endOffset, fromSeq, toSeq, environment: trusted ? header.environment : null, reason: read.reason ?? 'a record cut short' });
      if (found === undefined) {
        // A damaged last record: its bytes are saved aside, and how many events it held is known only if its header is intact.
        await cut(segment, at, `journal: moved a damaged last record of ${segment.path} (bytes ${at}..${endOffset}) aside`, context);
        uncertain = !trusted;
        endSeq = toSeq;
        break;
      }
    }
  } finally {
    await reader.close();
  }
  if (magicDamaged) await rewriteMagic(segment.path, 'r+', context);
  return { lastReadableSeq: reader.lastSeq, endSeq: endSeq ?? reader.lastSeq, uncertain };
}

async function cut(segment: SegmentInfo, at: number, message: string, { logger }: RecoveryContext): Promise<void> {
  await truncate(segment.path, at);
  const handle = await open(segment.path, 'r+');
  await handle.sync().finally(() => handle.close());
  logger.warn({ file: segment.path, offset: at, bytesCut: segment.bytes - at }, message);
  segment.bytes = at;
}

/** Writes the segment magic at byte 0 (over a damaged one, or into an empty file). */
async function rewriteMagic(path: string, flags: 'w' | 'r+', { journalDir }: RecoveryContext): Promise<void> {
  const handle = await open(path, flags, privateFileMode);
  try {
    await handle.write(segmentMagic, 0, segmentHeaderBytes, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsyncDirectory(journalDir);
}

/** A newest segment with no readable record at all: renamed to `.corrupt`, its events counted as lost. */
async function moveSegmentAside(segment: SegmentInfo, { journalDir, ledger }: RecoveryContext): Promise<void> {
  const savedAs = `${segment.path}.corrupt`;
  await rename(segment.path, savedAs);
  await fsyncDirectory(journalDir);
  const damage: Damage = { segment: basename(segment.path), offset: 0, endOffset: segment.bytes, fromSeq: segment.firstSeq, toSeq: segment.firstSeq, environment: null, reason: 'no readable segment header or record', savedAs, counted: [] };
  ledger.add(damage);
  ledger.log(damage);
}
