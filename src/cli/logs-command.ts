// `siem-gateway logs [--follow] FILE`: the gateway's JSON log lines (the delivery log or the main
// log) as one readable line each, offline, with no extra package. `--follow` keeps reading as the
// file grows and starts over when logrotate replaces it.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has, or that the line's head already shows. */
const shown = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** `2026-11-24T10:15:00.123Z WARN  delivery subscription=sumo attempt=1 status=503 …`; a line that is not JSON as it is. */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return line;
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString() : '-';
  const level = (levels[entry.level as number] ?? JSON.stringify(entry.level ?? '-')).padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key, value]) => !shown.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`);
  const message = typeof entry.msg === 'string' ? entry.msg : JSON.stringify(entry.msg ?? '');
  return [time, level, message, ...fields].join(' ');
}

/** Prints the file pretty; with `follow`, keeps going until `signal` aborts. Returns an exit code. */
export async function printLogs(file: string, follow: boolean, write: (text: string) => void, signal?: AbortSignal): Promise<number> {
  let position = 0;
  let inode: number | undefined;
  let partial = '';
  const readNew = (): boolean => {
    let stats;
    try {
      stats = statSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && follow && inode !== undefined) return true; // rotated away; the new one comes
      throw error;
    }
    // Replaced (logrotate moved it and the gateway opened a new one) or truncated: start over.
    if (stats.ino !== inode || stats.size < position) {
      inode = stats.ino;
      position = 0;
      partial = '';
    }
    if (stats.size === position) return true;
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(stats.size - position, 4 << 20));
      const bytesRead = readSync(fd, buffer, 0, buffer.length, position);
      position += bytesRead;
      const text = partial + buffer.toString('utf8', 0, bytesRead);
      const lines = text.split('\n');
      partial = lines.pop()!;
      const out = lines.filter((line) => line !== '').map(prettyLine);
      if (out.length > 0) write(`${out.join('\n')}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  };
  try {
    while (readNew() && position < statSync(file).size);
  } catch (error) {
    process.stderr.write(`siem-gateway logs: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`);
    return 1;
  }
  if (!follow) {
    if (partial !== '') write(`${prettyLine(partial)}\n`);
    return 0;
  }
  while (!signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    readNew();
  }
  return 0;
}
