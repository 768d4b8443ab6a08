// npm test: the build, the linter (eslint and the structure check) and the test suite. The linter
// reads the sources, not dist/, so it runs beside the build and is mostly done before the suite
// starts: the suite is CPU-bound on a small machine, and a linter beside it slowed it by more than
// the linter's own time. The build's and the suite's output stream as they come; the linter's is
// printed whole when both end. Exits non-zero when any fails. Test files may be given as arguments
// (default: every dist/test file).
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
const built = await run('npm', ['run', '--silent', 'build'], 'inherit');
let tested = built;
if (built.code === 0) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles('dist/test').sort();
  tested = await run(process.execPath, ['--test', '--test-concurrency=3', '--test-timeout=120000', ...files], 'inherit');
} else {
  process.stdout.write('\n# build FAILED: the suite did not run\n');
}
const linted = await lint;
process.stdout.write(`\n# lint (eslint and the structure check): ${linted.code === 0 ? 'ok' : 'FAILED'}\n${linted.output}`);
process.exitCode = linted.code !== 0 ? linted.code : tested.code;
