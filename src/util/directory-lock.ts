// One writer per storage.dir. Two gateways appending to one journal would both answer 202 and
// then cut each other's records, so the journal takes `<dir>/gateway.lock` at open and holds it
// for the process's life. The file names its owner (PID, when that process started, host); a
// lock whose owner is gone (killed, a zombie, or its PID now belongs to another process) is taken over.
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { privateFileMode } from './private-modes.js';

interface LockOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot): tells a reused PID apart. */
  processStart?: string;
  host: string;
  since: string;
}

export class DirectoryInUseError extends Error {
  readonly code = 'DIRECTORY_IN_USE';

  constructor(
    readonly dir: string,
    readonly pid: number,
    file: string,
    sameHost: boolean,
  ) {
    super(
      sameHost
        ? `storage.dir ${dir} is in use by another gateway (PID ${pid}); stop it first or give this one another storage.dir`
        : `storage.dir ${dir} is in use by a gateway on another host (PID ${pid}); if it no longer runs, delete ${file}`,
    );
  }
}

export class DirectoryLock {
  private constructor(
    readonly file: string,
    private readonly inode: number,
  ) {}

  /** Takes the lock, or throws DirectoryInUseError naming the owner's PID. */
  static acquire(dir: string, logger: Logger): DirectoryLock {
    const file = join(dir, 'gateway.lock');
    const mine: LockOwner = { pid: process.pid, processStart: processStart(process.pid), host: hostname(), since: new Date().toISOString() };
    // The lock appears with its content in one step (link), so nobody ever reads a half-written one.
    const draft = `${file}.${process.pid}.tmp`;
    writeFileSync(draft, `${JSON.stringify(mine)}\n`, { mode: privateFileMode });
    try {
      for (let attempt = 0; attempt < 10; attempt++) {
        try {
          linkSync(draft, file);
          return new DirectoryLock(file, statSync(file).ino);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const held = readLock(file);
        if (held === undefined) continue; // released meanwhile
        const { owner, inode } = held;
        if (owner !== undefined && isRunning(owner)) throw new DirectoryInUseError(dir, owner.pid, file, owner.host === mine.host);
        if (!takeOver(file, inode)) continue;
        logger.warn(
          { file, stalePid: owner?.pid },
          owner === undefined ? `storage.dir: took over an unreadable lock file ${file}` : `storage.dir: took over the lock of PID ${owner.pid}, which no longer runs`,
        );
      }
      throw new Error(`cannot lock storage.dir ${dir}: other processes keep taking ${file}`);
    } finally {
      unlinkSync(draft);
    }
  }

  /** Removes the lock file if it is still this process's. */
  release(): void {
    try {
      if (statSync(this.file).ino === this.inode) unlinkSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

function readLock(file: string): { owner: LockOwner | undefined; inode: number } | undefined {
  let text: string;
  let inode: number;
  try {
    inode = statSync(file).ino;
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isSafeInteger(owner.pid) && owner.pid > 0 && typeof owner.host === 'string') return { owner, inode };
  } catch {
    // an empty or damaged lock (a crash of the machine right after it was written): nobody holds it
  }
  return { owner: undefined, inode };
}

/** Moves the stale lock with this inode out of the way; false when someone else's lock took its place. */
function takeOver(file: string, inode: number): boolean {
  const aside = `${file}.stale.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (statSync(aside).ino !== inode) {
    // Another gateway replaced the stale lock between our read and our rename: put its lock back.
    try {
      linkSync(aside, file);
    } catch {
      // a third process took the lock meanwhile; the next attempt reads who holds it
    }
    unlinkSync(aside);
    return false;
  }
  unlinkSync(aside);
  return true;
}

/** Whether the lock's owner still runs: on another host we cannot tell, so it does. */
function isRunning(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const stat = processStat(owner.pid);
  // A zombie (exited, not yet reaped by its parent) or dead process holds nothing.
  if (stat?.state === 'Z' || stat?.state === 'X') return false;
  // A live PID may have been reused by another process since (in a container the gateway is often PID 1 every time).
  return stat === undefined || owner.processStart === undefined || stat.start === owner.processStart;
}

function processStart(pid: number): string | undefined {
  return processStat(pid)?.start;
}

/** The state (field 3) and start time (field 22) of /proc/<pid>/stat; undefined without /proc. */
function processStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, start: fields[19]! };
  } catch {
    return undefined;
  }
}
