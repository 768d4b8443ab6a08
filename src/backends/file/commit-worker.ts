// The commit thread's side (commit-thread.ts): writes a round's bytes to the segment's descriptor
// and fdatasyncs it, with blocking calls, then answers. Nothing else runs here, so a round is
// answered as soon as the kernel is done, whatever the main thread is busy with.
import { fdatasyncSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

export interface CommitRequest {
  id: number;
  fd: number;
  /** Shared with the journal's thread: the round is its first `bytes` bytes. */
  block: SharedArrayBuffer;
  bytes: number;
}

export type CommitAnswer = { id: number; writeMs: number; syncMs: number } | { id: number; error: { message: string; code?: string } };

function writeAll(fd: number, bytes: Uint8Array): void {
  // A short write is rare on files; it is finished from where it stopped.
  for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
}

parentPort!.on('message', ({ id, fd, block, bytes }: CommitRequest) => {
  try {
    const started = performance.now();
    writeAll(fd, new Uint8Array(block, 0, bytes));
    const written = performance.now();
    fdatasyncSync(fd);
    parentPort!.postMessage({ id, writeMs: written - started, syncMs: performance.now() - written } satisfies CommitAnswer);
  } catch (error) {
    const { message, code } = error as NodeJS.ErrnoException;
    parentPort!.postMessage({ id, error: { message, ...(code === undefined ? {} : { code }) } } satisfies CommitAnswer);
  }
});
