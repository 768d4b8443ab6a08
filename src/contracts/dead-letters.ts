// Dead letters (SPEC §4.5): what a pipeline could not deliver, kept per subscription until it is
// replayed or removed. Backends keep them (files under storage.dir, a JetStream stream).
import type { JournalRecord } from '../event/activity-event.js';

export interface DeadLetter {
  time: string;
  subscription: string;
  environment: string;
  seq: number;
  status?: number;
  reason: string;
  response?: string;
  event: JournalRecord['event'];
}

/** Where a pipeline puts what it cannot deliver: resolves once the letters are durable. */
export interface DeadLetterSink {
  add(letters: readonly DeadLetter[]): Promise<void>;
}

/** Where dead letters are kept and read back: files under storage.dir, or a JetStream stream. */
export interface DeadLetterArchive extends DeadLetterSink {
  /** The dead letters of a subscription, oldest first (an unreadable one is skipped and counted). */
  list(subscriptionId: string): Promise<{ letters: DeadLetter[]; unreadable: number }>;
  /** Removes the letters `remove` picks; returns how many. */
  rewrite(subscriptionId: string, remove: (letter: DeadLetter) => boolean): Promise<number>;
  /** Removes a deleted subscription's dead letters. */
  remove(subscriptionId: string): Promise<void>;
}
