// Segment files: `<first seq, 20 digits>.seg`, an 8-byte magic header, then records. Read
// sequentially in large chunks; only the last segment is ever scanned at start-up.
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBatch, type StoredBatch } from './record-codec.js';

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

export type BatchState = 'more' | 'end' | 'corrupt';

export interface SegmentRead {
  batches: StoredBatch[];
  /** `end`: no further complete record in the file (yet); `corrupt`: a bad record at `offset`. */
  state: BatchState;
  /** File offset just after the last batch returned (where a corrupt record starts). */
  offset: number;
  reason?: string;
}

/** Sequential reader over one segment file. */
export class SegmentFileReader {
  private buffer = Buffer.alloc(0);
  private bufferOffset = 0; // file offset of buffer[0]
  private position = 0; // read position inside buffer

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  /** Opens a segment, checks its header, and reads from `offset` (a record boundary). */
  static async open(path: string, offset = segmentHeaderBytes): Promise<SegmentFileReader | 'short' | 'bad-header'> {
    const handle = await open(path, 'r');
    const header = Buffer.alloc(segmentHeaderBytes);
    const { bytesRead } = await handle.read(header, 0, segmentHeaderBytes, 0);
    if (bytesRead < segmentHeaderBytes || !header.equals(segmentMagic)) {
      await handle.close();
      return bytesRead < segmentHeaderBytes ? 'short' : 'bad-header';
    }
    const reader = new SegmentFileReader(handle, path);
    reader.bufferOffset = Math.max(offset, segmentHeaderBytes);
    return reader;
  }

  /** Up to `max` stored batches from the current position. */
  async read(max: number): Promise<SegmentRead> {
    const batches: StoredBatch[] = [];
    while (batches.length < max) {
      const decoded = decodeBatch(this.buffer, this.position);
      if (decoded.kind === 'batch') {
        batches.push(decoded.batch);
        this.position += decoded.batch.size;
        continue;
      }
      if (decoded.kind === 'corrupt') return { batches, state: 'corrupt', offset: this.offset, reason: decoded.reason };
      if (batches.length > 0) break; // hand out what we have before blocking on I/O
      if (!(await this.fill(decoded.needBytes))) return { batches, state: 'end', offset: this.offset };
    }
    return { batches, state: 'more', offset: this.offset };
  }

  get offset(): number {
    return this.bufferOffset + this.position;
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
