// Per source, the event ids seen in the last `dedupeWindowSeconds`: an IdP that redelivers
// (Keycloak retries, PingOne and WebSub hubs after a timeout) is acknowledged but stored once.
// Kept in a small file, replaced atomically after each request, so the window survives a restart.
// The file only matters across restarts: a save that fails is reported, never fails the request
// (its events are stored), and the next save writes the whole window again.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../journal/fsync-dir.js';
import { SerialQueue } from '../util/serial-queue.js';

export class DedupeWindow {
  private readonly seenAt = new Map<string, number>();
  private readonly saves = new SerialQueue();
  private failing = false;

  constructor(
    private readonly file: string,
    private readonly windowMs: number,
    now: number,
    /** Told when saves start failing (once, until one succeeds again); the window is still kept in memory. */
    private readonly onSaveError: (error: Error) => void = () => undefined,
  ) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { seen?: [string, number][] };
      for (const [id, at] of parsed.seen ?? []) if (at > now - windowMs) this.seenAt.set(id, at);
    } catch {
      // no file yet, or an unreadable one: start empty (a redelivery may then be stored twice)
    }
  }

  /** True when `id` was stored within the window. */
  has(id: string, now: number): boolean {
    const at = this.seenAt.get(id);
    return at !== undefined && at > now - this.windowMs;
  }

  /** Records ids as stored, forgets expired ones, and saves; resolves once saved or reported. */
  add(ids: readonly string[], now: number): Promise<void> {
    for (const id of ids) this.seenAt.set(id, now);
    for (const [id, at] of this.seenAt) if (at <= now - this.windowMs) this.seenAt.delete(id);
    const seen = [...this.seenAt];
    return this.saves.run(() => writeFileAtomic(this.file, JSON.stringify({ seen }))).then(
      () => {
        this.failing = false;
      },
      (error: unknown) => {
        if (!this.failing) this.onSaveError(error as Error);
        this.failing = true;
      },
    );
  }
}
