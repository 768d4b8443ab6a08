import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh directory removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'siem-gateway-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Retries: a gateway process stopped by a later hook may still be writing a file in it.
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }));
  return dir;
}

/**
 * A fresh directory and the one after-hook that first runs `close` and only then removes it
 * (after-hooks run in the order they were added, so a separate removal could run too early).
 */
export function tempDirClosing(t: TestContext, close: () => Promise<void>): string {
  const dir = mkdtempSync(join(tmpdir(), 'siem-gateway-'));
  t.after(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
