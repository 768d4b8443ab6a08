import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { privateFileMode } from './private-modes.js';

/** Makes a created, renamed or deleted directory entry durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` with `text` so a crash leaves the old or the new content, never half (temp file, fsync, rename, directory fsync). */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  // Readable by this user only from the first byte: these files hold events and secrets.
  const handle = await open(temporary, 'w', privateFileMode);
  try {
    await handle.chmod(privateFileMode); // a temporary file left by a crash keeps its old mode otherwise
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  await fsyncDirectory(dirname(path));
}
