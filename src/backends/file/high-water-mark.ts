// The durable high-water mark of sequence numbers: `<journal>/high-water.json` holds a seq no
// record has reached yet, reserved ahead in steps so it is written rarely. When damage hides the
// true end of the journal, numbering continues above it, so a seq is never handed out twice and
// no saved cursor can point past events it never saw.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../logger.js';
import { writeFileAtomic } from '../../util/fsync-dir.js';

const reserveStep = 100_000;

export class HighWaterMark {
  private constructor(
    private readonly path: string,
    public reservedSeq: number,
  ) {}

  static load(journalDir: string, logger: Logger): HighWaterMark {
    const path = join(journalDir, 'high-water.json');
    let reservedSeq = 0;
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as { reservedSeq?: unknown };
      if (typeof parsed.reservedSeq !== 'number' || !Number.isSafeInteger(parsed.reservedSeq)) throw new Error('no integer "reservedSeq"');
      reservedSeq = parsed.reservedSeq;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.error({ file: path, err: error }, `journal: ${path} cannot be read; the saved cursors bound the sequence numbers instead`);
    }
    return new HighWaterMark(path, reservedSeq);
  }

  /** Makes sure `seq` is covered before a record holding it is written. */
  async cover(seq: number): Promise<void> {
    if (seq <= this.reservedSeq) return;
    const reservedSeq = seq + reserveStep;
    await writeFileAtomic(this.path, `${JSON.stringify({ reservedSeq })}\n`);
    this.reservedSeq = reservedSeq;
  }
}
