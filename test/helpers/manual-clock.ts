// A clock the test moves by hand, for timing logic only (flush deadlines, backoff).
import type { Clock } from '../../src/util/clock.js';

interface Sleeper {
  at: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  private sleepers: Sleeper[] = [];

  constructor(private time = 1_000_000) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const sleeper = { at: this.time + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal.reason as Error);
      }, { once: true });
    });
  }

  /** How many sleeps are waiting. */
  get waiting(): number {
    return this.sleepers.length;
  }

  advance(ms: number): void {
    this.time += ms;
    const due = this.sleepers.filter((s) => s.at <= this.time);
    this.sleepers = this.sleepers.filter((s) => s.at > this.time);
    for (const sleeper of due) sleeper.resolve();
  }
}

/** Waits (on the real event loop) until `condition` holds; fails after `timeoutMs`, naming `what` when given. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000, what?: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const met = condition();
    // An asynchronous condition (an HTTP query) is polled less often than a variable.
    const pollMs = met instanceof Promise ? 50 : 2;
    if (await met) return;
    if (Date.now() - started > timeoutMs) throw new Error(what === undefined ? 'condition not reached in time' : `${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
