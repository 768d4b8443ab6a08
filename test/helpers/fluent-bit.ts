// Fluent Bit 5.1.1 as a real receiver (../shared/peers/fluent-bit beside the repository, or the
// FLUENT_BIT environment variable): one input, its records printed as JSON lines on stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { until } from './manual-clock.js';

/** Where the binary is; a clear failure when it is not there (the test needs a real receiver). */
export function fluentBitPath(): string {
  const path = process.env.FLUENT_BIT ?? fileURLToPath(new URL('../../../../shared/peers/fluent-bit', import.meta.url));
  if (!existsSync(path)) throw new Error(`Fluent Bit is not at ${path}: this test needs the Fluent Bit 5.1.1 binary the peers folder holds (../shared/peers/fluent-bit beside the repository); set FLUENT_BIT to its path`);
  return path;
}

export interface FluentBit {
  url: string;
  /** Each record printed so far, parsed. */
  records(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts `fluent-bit -i <input>` on a free loopback port, with `-o stdout -p format=json_lines`. */
export async function startFluentBit(input: string, inputProperties: Record<string, string> = {}): Promise<FluentBit> {
  const port = await freePort();
  const properties = Object.entries({ listen: '127.0.0.1', port: String(port), ...inputProperties }).flatMap(([name, value]) => ['-p', `${name}=${value}`]);
  const child: ChildProcess = spawn(fluentBitPath(), ['-i', input, ...properties, '-o', 'stdout', '-p', 'format=json_lines', '-f', '0.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await until(() => /listening on/.test(out + log) || child.exitCode !== null, 10_000, 'Fluent Bit listening');
  if (child.exitCode !== null) throw new Error(`Fluent Bit exited with ${child.exitCode}: ${log}${out}`);
  return {
    url: `http://127.0.0.1:${port}`,
    // Only whole lines: the last may still be arriving.
    records: () => out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>),
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
