// A journal whose readers can run in another thread. The delivery thread (src/pipeline/
// delivery-thread.ts) runs every pipeline in a worker and reads through a mirror that the journal's
// backend provides; it knows only this contract and carries the messages. What crosses between the
// threads, and what the mirror asks of the owner, is the backend's own business.
import type { Journal } from './journal.js';

/** Messages between a journal and its mirror, over the delivery thread's channel. */
export interface JournalLine {
  /** Tells the other side something; `transfer` moves buffers instead of copying them. */
  notify(name: string, data?: unknown, transfer?: ArrayBuffer[]): void;
  /** Asks the other side; resolves with its answer. */
  call<T>(name: string, data?: unknown): Promise<T>;
}

/** The owner's side, in the main thread: the journal that holds the storage. */
export interface JournalSharing {
  /** The module the worker imports (a file: URL); it exports `openMirror`, an OpenMirror. */
  readonly mirrorModule: string;
  /** Starts telling the mirror of every change it must hear, and returns what it starts from (structured-clonable), in one step: nothing falls between them. */
  share(notify: JournalLine['notify']): unknown;
  /** Stops telling. */
  unshare(): void;
  /** Answers the mirror's calls and notices, by name. */
  readonly answers: Readonly<Record<string, (data: any) => unknown>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The worker's side: a Journal reading what the owner shares; `heard` takes the owner's notices. */
export type OpenMirror = (start: unknown, line: JournalLine) => { journal: Journal; heard(name: string, data: unknown): void };
