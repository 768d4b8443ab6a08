// Per source, the event ids seen in the last `dedupeWindowSeconds`: an IdP that redelivers
// (Keycloak retries, PingOne and WebSub hubs after a timeout) is acknowledged but stored once.
//
// Exactly once under concurrency: `claim` takes ids synchronously (no await between the check and
// the mark), so of 40 identical posts racing, one stores and 39 see it claimed; a claim whose store
// failed is released, so the IdP's retry stores it. Duplicates inside one request are claimed once.
//
// Cheap at any size: the window survives a restart through an append-only log (one JSON line per
// id, `["id",at]`), appended and synced per request, whatever the window holds; it is rewritten
// whole (atomically) only when it holds twice as many lines as live ids. A save that fails is
// reported once, never fails the request (its events are stored), and the next save rewrites the
// log whole. A torn last line (a crash mid-append) is skipped when read.
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { writeFileAtomic } from '../util/fsync-dir.js';
import { privateFileMode } from '../util/private-modes.js';
import { deferred, type Deferred } from '../util/deferred.js';
import { SerialQueue } from '../util/serial-queue.js';

export interface Claim {
  fresh: Set<string>;
  pending: Promise<void>[];
  stored: Deferred<void>;
}

/** The log is rewritten when its lines exceed twice the live ids, plus this slack. */
const compactionSlack = 1000;

export class DedupeWindow {
  private readonly seenAt = new Map<string, number>();
  /** Claimed ids whose store is under way, with the promise of that store. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly saves = new SerialQueue();
  private logLines = 0;
  /** After a failed save: the next save rewrites the whole log. */
  private failing = false;

  constructor(
    private readonly file: string,
    private readonly windowMs: number,
    now: number,
    /** Told when saves start failing (once, until one succeeds again); the window is still kept in memory. */
    private readonly onSaveError: (error: Error) => void = () => undefined,
  ) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // no file yet, or an unreadable one: start empty (a redelivery may then be stored twice)
    }
    // In time order (a log is appended in time order; a clock stepped back could break it, which
    // only makes expiry stop early: an id then lives a little longer than its window).
    for (const [id, at] of parseLog(text).sort((a, b) => a[1] - b[1])) {
      if (at <= now - windowMs) continue;
      this.seenAt.delete(id);
      this.seenAt.set(id, at);
    }
    // Rewritten whole at the first save: the old single-document form, or expired lines.
    this.failing = text !== '';
  }

  /** True when `id` was stored (or claimed) within the window. */
  has(id: string, now: number): boolean {
    const at = this.seenAt.get(id);
    return at !== undefined && at > now - this.windowMs;
  }

  /**
   * The ids of `ids` not seen within the window, each once, now marked as seen: the caller stores
   * exactly these, then settles the claim. Synchronous, so concurrent requests cannot both claim one
   * id. `pending` holds the stores of ids another request claimed and has not settled: a duplicate is
   * answered only once its first copy is stored (and fails if that store failed).
   */
  claim(ids: readonly string[], now: number): Claim {
    const fresh = new Set<string>();
    const pending = new Set<Promise<void>>();
    const stored = deferred<void>();
    stored.promise.catch(() => undefined); // a failure is seen by those who wait for it
    for (const id of ids) {
      if (fresh.has(id)) continue;
      const other = this.inFlight.get(id);
      if (other !== undefined) pending.add(other);
      if (this.has(id, now)) continue;
      fresh.add(id);
      // Deleted first so the map stays in time order (an expired id claimed again moves to the end).
      this.seenAt.delete(id);
      this.seenAt.set(id, now);
      this.inFlight.set(id, stored.promise);
    }
    return { fresh, pending: [...pending], stored };
  }

  /** The claim's ids are stored (`error` undefined), or were not: then a redelivery of them will be stored. */
  settle(claim: Claim, error?: Error): void {
    for (const id of claim.fresh) {
      if (this.inFlight.get(id) === claim.stored.promise) this.inFlight.delete(id);
      if (error !== undefined) this.seenAt.delete(id);
    }
    if (error === undefined) claim.stored.resolve();
    else claim.stored.reject(error);
  }

  /** Makes stored ids survive a restart; resolves once saved or reported. */
  save(ids: Iterable<string>, now: number): Promise<void> {
    // The map is in time order: expiry stops at the first live id, so it costs what expired, not the window.
    for (const [id, at] of this.seenAt) {
      if (at > now - this.windowMs) break;
      this.seenAt.delete(id);
    }
    const lines = [...ids].map((id) => `${JSON.stringify([id, this.seenAt.get(id) ?? now])}\n`).join('');
    return this.saves.run(() => this.write(lines)).then(
      () => {
        this.failing = false;
      },
      (error: unknown) => {
        if (!this.failing) this.onSaveError(error as Error);
        this.failing = true;
      },
    );
  }

  private async write(lines: string): Promise<void> {
    if (this.failing || this.logLines > 2 * this.seenAt.size + compactionSlack) {
      const whole = [...this.seenAt].map((entry) => `${JSON.stringify(entry)}\n`);
      await writeFileAtomic(this.file, whole.join(''));
      this.logLines = whole.length;
      return;
    }
    if (lines === '') return;
    // Opened by path each time: a log moved or removed meanwhile is noticed, not written in the dark.
    const log = await open(this.file, 'a', privateFileMode);
    try {
      await log.appendFile(lines);
      await log.datasync();
    } finally {
      await log.close();
    }
    this.logLines += lines.split('\n').length - 1;
  }

}

/** The entries of a log, or of the single document an older version wrote (`{"seen":[…]}`). */
function parseLog(text: string): [string, number][] {
  if (text.startsWith('{')) {
    try {
      return (JSON.parse(text) as { seen?: [string, number][] }).seen ?? [];
    } catch {
      return [];
    }
  }
  const entries: [string, number][] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const entry = JSON.parse(line) as unknown;
      if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number') entries.push([entry[0], entry[1]]);
    } catch {
      // a torn last line: the id it held may be stored twice
    }
  }
  return entries;
}
