// This process's files in storage.dir, once the backend holds its lock: modes tightened, the PID
// file written (for logrotate and init scripts: `kill -HUP "$(cat <storage.dir>/gateway.pid)"`),
// and what older versions left that must not stay (managed private keys as plaintext PEM files).
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { privateFileMode, tightenModes } from '../util/private-modes.js';

/** Prepares storage.dir for this process; returns the PID file's path. */
export function claimStorageDir(dir: string, logger: Logger): string {
  tightenModes(dir, logger);
  const pidFile = join(dir, 'gateway.pid');
  writeFileSync(pidFile, `${process.pid}\n`, { mode: privateFileMode });
  removeOldKeyFiles(join(dir, 'managed'), logger);
  return pidFile;
}

/** Removes the PID file if it is still this process's. */
export function removePidFile(file: string): void {
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Earlier versions also wrote managed key pairs as PEM files under storage.dir: plaintext private keys. */
function removeOldKeyFiles(dir: string, logger: Logger): void {
  for (const name of ['keys', 'certificates']) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    rmSync(path, { recursive: true, force: true });
    logger.info({ path }, `removed ${path}: managed key pairs and certificates are kept in the store only`);
  }
}
