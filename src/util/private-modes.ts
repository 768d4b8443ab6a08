// At start: every file under storage.dir is this user's only (0600, directories 0700). Files the
// gateway writes are created so; one made looser since (a restore from a backup, a copy, an umask
// of another tool) is fixed and named in one warning, so the operator learns how it got there.
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';

/** Files under storage.dir hold events and secrets: this user's only. */
export const privateFileMode = 0o600;
export const privateDirectoryMode = 0o700;

/** Tightens what is looser than 0600 / 0700 under `dir`; returns the paths it changed. */
export function tightenModes(dir: string, logger: Logger): string[] {
  const changed: string[] = [];
  const visit = (path: string) => {
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      return; // removed meanwhile
    }
    if (stat.isSymbolicLink()) return; // never follow a link out of storage.dir
    const wanted = stat.isDirectory() ? privateDirectoryMode : privateFileMode;
    if ((stat.mode & 0o077) !== 0) {
      chmodSync(path, (stat.mode & 0o700) | wanted);
      changed.push(path);
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  if (changed.length > 0) {
    logger.warn({ dir, files: changed.length, examples: changed.slice(0, 5) }, `${changed.length} files or directories under ${dir} could be read by other users; they are now this user's only (0600, directories 0700)`);
  }
  return changed;
}
