// Segment files: `<first seq, 20 digits>.seg`, an 8-byte magic header, then records. Read
// sequentially in large chunks; only the last segment is ever scanned at start-up.
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBatch, plausibleHeader, type RecordHeader, type StoredBatch } from './record-codec.js';
import { fsyncDirectory } from '../../util/fsync-dir.js';
import { privateFileMode } from '../../util/private-modes.js';

export const segmentMagic = Buffer.from('SGJRNL01', 'latin1');
export const segmentHeaderBytes = segmentMagic.length;
const chunkBytes = 1024 * 1024;

export interface SegmentInfo {
  firstSeq: number;
  path: string;
  bytes: number;
  /** Last append (file mtime): the age used by retention. */
  lastWriteMs: number;
}

export function segmentPath(dir: string, firstSeq: number): string {
  return join(dir, `${String(firstSeq).padStart(20, '0')}.seg`);
}

/** Segments in seq order. Start-up cost is one stat per segment, not a read of the backlog. */
export async function listSegments(dir: string): Promise<SegmentInfo[]> {
  const names = (await readdir(dir)).filter((name) => /^\d{20}\.seg$/.test(name)).sort();
  return Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      const info = await stat(path);
      return { firstSeq: Number(name.slice(0, 20)), path, bytes: info.size, lastWriteMs: info.mtimeMs };
    }),
  );
}

/** The segment of `segments` (in seq order) holding `seq`, and the one after it. */
export function segmentHolding(segments: readonly SegmentInfo[], seq: number): { segment: SegmentInfo; next: SegmentInfo | undefined } | undefined {
  for (let i = segments.length - 1; i >= 0; i--) {
    if (segments[i]!.firstSeq <= seq) return { segment: segments[i]!, next: segments[i + 1] };
  }
  return undefined;
}

export type BatchState = 'more' | 'end' | 'corrupt';

export interface SegmentRead {
  batches: StoredBatch[];
  /** `end`: no further complete record in the file (yet); `corrupt`: a bad record at `offset`. */
  state: BatchState;
  /** File offset just after the last batch returned (where a corrupt record starts). */
  offset: number;
  reason?: string;
}

/** The next intact record after damage. */
export interface Resync {
  offset: number;
  firstSeq: number;
}

/** Room for a record header (and its environment) that starts near the end of a scan window. */
const scanOverlap = 512;

/** Sequential reader over one segment file. */
export class SegmentFileReader {
  private buffer = Buffer.alloc(0);
  private bufferOffset = 0; // file offset of buffer[0]
  private position = 0; // read position inside buffer
  private headerDamaged = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    /** The last seq of the last record read; records must follow it. */
    public lastSeq: number,
  ) {}

  /**
   * Opens a segment to read from `offset` (a record boundary), after seq `lastSeq`. A damaged
   * header is reported by the first read as a corrupt record at byte 0; 'short' when the file has
   * no whole header (a segment whose creation was cut off).
   */
  static async open(path: string, lastSeq: number, offset = segmentHeaderBytes): Promise<SegmentFileReader | 'short'> {
    const handle = await open(path, 'r');
    const header = Buffer.alloc(segmentHeaderBytes);
    const { bytesRead } = await handle.read(header, 0, segmentHeaderBytes, 0);
    if (bytesRead < segmentHeaderBytes) {
      await handle.close();
      return 'short';
    }
    const reader = new SegmentFileReader(handle, path, lastSeq);
    reader.bufferOffset = Math.max(offset, segmentHeaderBytes);
    reader.headerDamaged = reader.bufferOffset === segmentHeaderBytes && !header.equals(segmentMagic);
    return reader;
  }

  /**
   * Up to `max` stored batches from the current position. Bytes up to `limit` are known to be
   * durable, so a record that is cut or runs past it is damage, not a write still under way.
   */
  async read(max: number, limit = Infinity): Promise<SegmentRead> {
    if (this.headerDamaged) return { batches: [], state: 'corrupt', offset: 0, reason: 'bad segment header' };
    const batches: StoredBatch[] = [];
    while (batches.length < max) {
      const at = this.offset;
      if (at >= limit) return { batches, state: 'end', offset: at };
      const decoded = decodeBatch(this.buffer, this.position);
      if (decoded.kind === 'batch') {
        const { batch } = decoded;
        if (at + batch.size > limit) return { batches, state: 'corrupt', offset: at, reason: 'a record runs past the end of the segment' };
        if (batch.firstSeq <= this.lastSeq) return { batches, state: 'corrupt', offset: at, reason: `record out of sequence (seq ${batch.firstSeq} after ${this.lastSeq})` };
        batches.push(batch);
        this.position += batch.size;
        this.lastSeq = batch.firstSeq + batch.count - 1;
        continue;
      }
      if (decoded.kind === 'corrupt') return { batches, state: 'corrupt', offset: at, reason: decoded.reason };
      if (at + decoded.needBytes > limit) return { batches, state: 'corrupt', offset: at, reason: 'a record runs past the end of the segment' };
      if (batches.length > 0) break; // hand out what we have before blocking on I/O
      if (!(await this.fill(decoded.needBytes))) {
        if (limit === Infinity) return { batches, state: 'end', offset: at };
        return { batches, state: 'corrupt', offset: at, reason: 'the file ends inside a record' };
      }
    }
    return { batches, state: 'more', offset: this.offset };
  }

  get offset(): number {
    return this.bufferOffset + this.position;
  }

  /**
   * Resynchronises after damage at the current offset: finds the next record (a plausible header
   * and a matching checksum) that follows `lastSeq`, and continues there. Undefined, at the end of
   * the file (or `limit`), when none is left.
   */
  async skipDamage(limit = Infinity): Promise<Resync | undefined> {
    this.headerDamaged = false;
    const end = Math.min(limit, (await this.handle.stat()).size);
    const window = Buffer.allocUnsafe(chunkBytes + scanOverlap);
    for (let at = Math.max(this.offset + 1, segmentHeaderBytes); at < end; at += chunkBytes) {
      const { bytesRead } = await this.handle.read(window, 0, window.length, at);
      const view = window.subarray(0, bytesRead);
      for (let i = 0; i < chunkBytes && at + i < end; i++) {
        const header = plausibleHeader(view, i, this.lastSeq, end - (at + i));
        if (header === undefined) continue;
        const record = Buffer.allocUnsafe(header.size);
        await this.handle.read(record, 0, header.size, at + i);
        if (decodeBatch(record, 0).kind !== 'batch') continue;
        this.moveTo(at + i);
        return { offset: at + i, firstSeq: header.firstSeq };
      }
    }
    this.moveTo(end);
    return undefined;
  }

  /** The header fields at `offset`, unchecked: what a damaged record may still tell. */
  async headerAt(offset: number): Promise<RecordHeader | undefined> {
    const bytes = Buffer.alloc(scanOverlap);
    const { bytesRead } = await this.handle.read(bytes, 0, bytes.length, offset);
    return plausibleHeader(bytes.subarray(0, bytesRead), 0, this.lastSeq, Infinity);
  }

  private moveTo(offset: number): void {
    this.buffer = Buffer.alloc(0);
    this.bufferOffset = offset;
    this.position = 0;
  }

  /** Reads more of the file so at least `needBytes` are available from `position`. */
  private async fill(needBytes: number): Promise<boolean> {
    const remaining = this.buffer.subarray(this.position);
    const size = Math.max(chunkBytes, needBytes);
    // Batches handed out are views into the old buffer, so a fresh buffer is allocated, never reused.
    const next = Buffer.allocUnsafe(size);
    remaining.copy(next, 0);
    this.bufferOffset += this.position;
    this.position = 0;
    const { bytesRead } = await this.handle.read(next, remaining.length, size - remaining.length, this.bufferOffset + remaining.length);
    this.buffer = next.subarray(0, remaining.length + bytesRead);
    return this.buffer.length >= needBytes;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Copies bytes `from`..`to` of a segment to `<segment>.<from>.corrupt` (once) and returns that path. */
export async function saveDamagedBytes(path: string, from: number, to: number): Promise<string> {
  const target = `${path}.${from}.corrupt`;
  const source = await open(path, 'r');
  try {
    const copy = await open(target, 'wx', privateFileMode);
    try {
      const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(1, to - from)));
      for (let at = from; at < to; ) {
        const { bytesRead } = await source.read(chunk, 0, Math.min(chunk.length, to - at), at);
        if (bytesRead === 0) break;
        await copy.write(chunk, 0, bytesRead);
        at += bytesRead;
      }
      await copy.datasync();
    } finally {
      await copy.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await source.close();
  }
  return target;
}

export type BatchSummary = Pick<StoredBatch, 'firstSeq' | 'count' | 'environment'>;

/** What each intact stored batch of a segment holds (seqs and environment). */
export async function batchesOf(segment: SegmentInfo): Promise<BatchSummary[]> {
  const batches: BatchSummary[] = [];
  await forEachBatch(segment, ({ firstSeq, count, environment }) => {
    batches.push({ firstSeq, count, environment });
    return false;
  });
  return batches;
}

/** Calls `visit` for each intact stored batch of a segment (stepping over damage) until it returns true. */
export async function forEachBatch(segment: SegmentInfo, visit: (batch: StoredBatch) => boolean): Promise<void> {
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

/** Creates a new segment file holding only its magic, synced with its directory entry. */
export async function createSegmentFile(journalDir: string, firstSeq: number): Promise<{ path: string; handle: FileHandle }> {
  const path = segmentPath(journalDir, firstSeq);
  // 'w': a file left by a roll that failed half-way is started again.
  const handle = await open(path, 'w', privateFileMode);
  try {
    await handle.write(segmentMagic);
    await handle.datasync();
    await fsyncDirectory(journalDir);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return { path, handle };
}

/** The seq just before the first record in `segments` accepted at or after `at` (`durableSeq` if none). */
export async function seqBefore(segments: readonly SegmentInfo[], at: number, durableSeq: number): Promise<number> {
  for (const segment of segments) {
    if (segment.lastWriteMs < at) continue;
    let found: number | undefined;
    await forEachBatch(segment, (batch) => {
      if (batch.receivedAt < at || batch.firstSeq > durableSeq) return false;
      found = batch.firstSeq - 1;
      return true;
    });
    if (found !== undefined) return found;
  }
  return durableSeq;
}
