// The commit thread's side (commit-thread.ts): writes a round's buffers to the segment's descriptor
// and fdatasyncs it, with blocking calls, then answers. Nothing else runs here, so a round is
// answered as soon as the kernel is done, whatever the main thread is busy with.
import { fdatasyncSync, writeSync, writevSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

export interface CommitRequest {
  id: number;
  fd: number;
  buffers: Uint8Array[];
}

export type CommitAnswer = { id: number; writeMs: number; syncMs: number } | { id: number; error: { message: string; code?: string } };

function writeAll(fd: number, buffers: Uint8Array[]): void {
  let total = 0;
  for (const buffer of buffers) total += buffer.length;
  let written = writevSync(fd, buffers);
  if (written === total) return;
  // A short write is rare on files; finish it from one joined buffer.
  const all = Buffer.concat(buffers);
  while (written < total) written += writeSync(fd, all, written, total - written);
}

parentPort!.on('message', ({ id, fd, buffers }: CommitRequest) => {
  try {
    const started = performance.now();
    writeAll(fd, buffers);
    const written = performance.now();
    fdatasyncSync(fd);
    parentPort!.postMessage({ id, writeMs: written - started, syncMs: performance.now() - written } satisfies CommitAnswer);
  } catch (error) {
    const { message, code } = error as NodeJS.ErrnoException;
    parentPort!.postMessage({ id, error: { message, ...(code === undefined ? {} : { code }) } } satisfies CommitAnswer);
  }
});
