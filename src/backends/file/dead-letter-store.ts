// Events a destination refused one by one (or that outlived retention while failing) are kept per
// subscription as JSON lines, fsynced before the cursor moves past them. Nothing leaves silently.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/fsync-dir.js';
import { privateDirectoryMode, privateFileMode } from '../../util/private-modes.js';
import { SerialQueue } from '../../util/serial-queue.js';
import type { DeadLetter, DeadLetterArchive } from '../../contracts/dead-letters.js';


export class DeadLetterStore implements DeadLetterArchive {
  constructor(private readonly dir: string) {}

  path(subscriptionId: string): string {
    return join(this.dir, `${subscriptionId}.jsonl`);
  }

  /** Writes and rewrites of the files run one after another. */
  private readonly queue = new SerialQueue();

  add(letters: readonly DeadLetter[]): Promise<void> {
    return this.queue.run(() => this.append(letters));
  }

  /**
   * Removes the letters `remove` picks, rewriting the file atomically (appends wait); a line that
   * cannot be parsed is kept as it is. Returns how many letters were removed.
   */
  rewrite(subscriptionId: string, remove: (letter: DeadLetter) => boolean): Promise<number> {
    return this.queue.run(async () => {
      let text: string;
      try {
        text = await readFile(this.path(subscriptionId), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw error;
      }
      const lines = text.split('\n').filter((line) => line !== '');
      const kept = lines.filter((line) => {
        try {
          return !remove(JSON.parse(line) as DeadLetter);
        } catch {
          return true;
        }
      });
      if (kept.length === lines.length) return 0;
      await writeFileAtomic(this.path(subscriptionId), kept.map((line) => `${line}\n`).join(''));
      return lines.length - kept.length;
    });
  }

  private async append(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await mkdir(this.dir, { recursive: true, mode: privateDirectoryMode });
    const handle = await open(this.path(letters[0]!.subscription), 'a', privateFileMode);
    try {
      await handle.write(letters.map((letter) => `${JSON.stringify(letter)}\n`).join(''));
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Removes a deleted subscription's dead letters. */
  remove(subscriptionId: string): Promise<void> {
    return this.queue.run(() => rm(this.path(subscriptionId), { force: true }));
  }

  /** The dead letters of a subscription, oldest first (an unreadable line is skipped and counted). */
  async list(subscriptionId: string): Promise<{ letters: DeadLetter[]; unreadable: number }> {
    let text: string;
    try {
      text = await readFile(this.path(subscriptionId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { letters: [], unreadable: 0 };
      throw error;
    }
    const letters: DeadLetter[] = [];
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        letters.push(JSON.parse(line) as DeadLetter);
      } catch {
        unreadable++;
      }
    }
    return { letters, unreadable };
  }
}
