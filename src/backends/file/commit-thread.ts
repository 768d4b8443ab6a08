// Group commits on a thread of their own (commit-worker.ts). Through libuv's pool, a round's write
// and its fdatasync each went out to a pool thread and came back through the main event loop: four
// waits for a core, and two for whatever JavaScript the main thread was running. Under 16 ingest
// connections the event loop saw 6 ms for a write and 6 ms for a sync that took 0.7 ms and 1.7 ms in
// the kernel. Here a round costs one message each way. The descriptor stays the journal's: the
// thread only writes to and syncs the one it is given, one round at a time.
// The round's bytes go through one shared block that both threads see, copied in once: posting
// them cloned each buffer through the serializer (0.5 ms of the main thread for a 740 KB round).
import { Worker } from 'node:worker_threads';
import type { CommitStats } from '../../contracts/journal.js';
import type { CommitAnswer, CommitRequest } from './commit-worker.js';

const maxKeptBlockBytes = 64 << 20;

export class CommitThread {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: (times: { writeMs: number; syncMs: number }) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private readonly counts: CommitStats = { rounds: 0, appends: 0, bytes: 0, writeSeconds: 0, syncSeconds: 0 };
  /** The shared block rounds are copied into; one round uses it at a time. */
  private block = new Uint8Array(new SharedArrayBuffer(1 << 20));
  private previous: Promise<unknown> = Promise.resolve();

  /**
   * Writes `buffers` (the round of `appends` appends) at the end of `fd`, opened for appending, and
   * fdatasyncs it. Rejects with the system's error, its `code` kept.
   */
  commit(fd: number, buffers: Uint8Array[], appends: number): Promise<void> {
    // The journal waits for each round; should a caller not, its rounds queue for the block.
    const round = this.previous.then(() => this.commitNow(fd, buffers, appends));
    this.previous = round.catch(() => undefined);
    return round;
  }

  private commitNow(fd: number, buffers: Uint8Array[], appends: number): Promise<void> {
    const worker = this.started();
    const id = this.nextId++;
    let bytes = 0;
    for (const buffer of buffers) bytes += buffer.length;
    const block = this.blockFor(bytes);
    let at = 0;
    for (const buffer of buffers) {
      block.set(buffer, at);
      at += buffer.length;
    }
    return new Promise((resolve, reject) => {
      const counts = this.counts;
      const counted = ({ writeMs, syncMs }: { writeMs: number; syncMs: number }) => {
        counts.rounds++;
        counts.appends += appends;
        counts.bytes += bytes;
        counts.writeSeconds += writeMs / 1000;
        counts.syncSeconds += syncMs / 1000;
        resolve();
      };
      this.waiting.set(id, { resolve: counted, reject });
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ id, fd, block: block.buffer as SharedArrayBuffer, bytes } satisfies CommitRequest);
    });
  }

  /** The shared block, grown to hold `bytes` (doubling), or one of its own for a round past 64 MiB. */
  private blockFor(bytes: number): Uint8Array {
    if (bytes <= this.block.length) return this.block;
    let size = this.block.length;
    while (size < bytes) size *= 2;
    const block = new Uint8Array(new SharedArrayBuffer(size));
    if (size <= maxKeptBlockBytes) this.block = block;
    return block;
  }

  /** Rounds so far, with the time the thread spent writing and syncing them. */
  stats(): CommitStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL('./commit-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (answer: CommitAnswer) => {
      const waiting = this.waiting.get(answer.id);
      if (waiting === undefined) return;
      this.waiting.delete(answer.id);
      if (this.waiting.size === 0) worker.unref();
      if ('error' in answer) waiting.reject(Object.assign(new Error(answer.error.message), answer.error.code === undefined ? {} : { code: answer.error.code }));
      else waiting.resolve(answer);
    });
    // A thread that fails or stops fails its rounds (the journal refuses them and repairs the
    // segment); the next round starts a new one.
    const stopped = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.waiting.values()) waiting.reject(error);
      this.waiting.clear();
    };
    worker.on('error', (error) => stopped(error));
    worker.on('exit', (code) => stopped(new Error(`the journal's commit thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
