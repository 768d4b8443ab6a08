// scripts/check-structure.mjs, the house rules `npm run lint` enforces: it passes on this tree and
// names each kind of breach in a made-up one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../../scripts/check-structure.mjs', import.meta.url));

function check(root?: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [script, ...(root === undefined ? [] : [root])], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'structure-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('the project tree keeps the house rules', () => {
  const { status, output } = check();
  assert.equal(status, 0, output);
  assert.match(output, /0 import circles, 0 marked upward imports/);
});

test('a circle, an upward import, a reach into a backend, a file over 400 lines and a folder with no floor are each named', (t) => {
  const root = tree({
    'src/util/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
    'src/util/b.ts': "import { a } from './a.js';\nexport const b = a;\n",
    'src/config/settings.ts': "import { Pipeline } from '../pipeline/pipeline.js';\nexport const settings = Pipeline;\n",
    'src/pipeline/pipeline.ts': "import { FileJournal } from '../backends/file/file-journal.js';\nexport const Pipeline = FileJournal;\n",
    'src/backends/file/file-journal.ts': 'export const FileJournal = 1;\n' + '// filler\n'.repeat(400),
    'src/attic/old.ts': 'export const old = 1;\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const { status, output } = check(root);
  assert.equal(status, 1, output);
  assert.match(output, /import circle: .*src\/util\/(a|b)\.ts <-> src\/util\/(a|b)\.ts/);
  assert.match(output, /src\/config\/settings\.ts imports src\/pipeline\/pipeline\.ts, a higher floor/);
  assert.match(output, /src\/pipeline\/pipeline\.ts imports src\/backends\/file\/file-journal\.ts: only src\/backends\/index\.ts may reach into a backend's folder/);
  assert.match(output, /src\/backends\/file\/file-journal\.ts: 401 lines \(at most 400\)/);
  assert.match(output, /src\/attic\/old\.ts is on no floor/);
});

test('an upward import marked with its reason is allowed, up to two', (t) => {
  const marked = (n: number) => `// upward: the reason ${n}\nimport { Pipeline } from '../pipeline/pipeline.js';\nexport const settings${n} = Pipeline;\n`;
  const files = { 'src/pipeline/pipeline.ts': 'export const Pipeline = 1;\n', 'src/config/one.ts': marked(1), 'src/config/two.ts': marked(2) };
  const two = tree(files);
  const three = tree({ ...files, 'src/config/three.ts': marked(3) });
  t.after(() => [two, three].forEach((root) => rmSync(root, { recursive: true, force: true })));
  const allowed = check(two);
  assert.equal(allowed.status, 0, allowed.output);
  assert.match(allowed.output, /2 marked upward imports/);
  const refused = check(three);
  assert.equal(refused.status, 1, refused.output);
  assert.match(refused.output, /3 marked upward imports \(at most 2\)/);
});
