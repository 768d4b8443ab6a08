// npm test after the build: the linter (eslint and the structure check) and the test suite run
// side by side, since most of the suite waits on sockets, processes and timers while the linter
// computes. The suite's output streams as it comes; the linter's is printed whole when it ends.
// Exits non-zero when either fails. Test files may be given as arguments (default: every dist/test file).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

function run(command, args, stdio) {
  const child = spawn(command, args, { stdio });
  let output = '';
  if (stdio !== 'inherit') {
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
  }
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), output })));
}

const lint = run('npm', ['run', '--silent', 'lint'], 'pipe');
const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles('dist/test').sort();
const suite = run(process.execPath, ['--test', '--test-concurrency=3', '--test-timeout=120000', ...files], 'inherit');
const [linted, tested] = await Promise.all([lint, suite]);
process.stdout.write(`\n# lint (eslint and the structure check): ${linted.code === 0 ? 'ok' : 'FAILED'}\n${linted.output}`);
process.exitCode = linted.code !== 0 ? linted.code : tested.code;
