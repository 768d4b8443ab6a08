// The house rules DESIGN.md states, checked on every `npm run lint`: no import circles, layers
// point down (at most two marked exceptions), storage backends are wings nothing reaches into,
// and no source file over 400 lines. Prints what it found and exits 1 when a rule is broken.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

// The project root, or another tree given as the first argument (the tests check made-up ones).
const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const maxLines = 400;
const maxUpward = 2;

// Floors, lowest first: a file may import from its own floor or below. The longest prefix wins.
const floors = [
  ['src/util/', 'src/logger.ts', 'src/version.ts'],
  ['src/event/'],
  ['src/config/', 'src/network/', 'src/tls/'],
  ['src/contracts/'],
  ['src/observability/'],
  ['formats/', 'transports/', 'src/backends/'],
  ['src/auth/', 'src/ingest/', 'src/pipeline/'],
  ['src/sources/', 'src/management/'],
  ['src/admin/', 'src/server/'],
  ['src/gateway.ts'],
  ['src/cli/'],
];
const backendsDir = 'src/backends/';
const backendOpener = 'src/backends/index.ts';

function floorOf(file) {
  let best;
  floors.forEach((prefixes, floor) => {
    for (const prefix of prefixes) if (file.startsWith(prefix) && (!best || prefix.length > best.prefix.length)) best = { prefix, floor };
  });
  return best?.floor;
}

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const files = ['src', 'formats', 'transports', 'console/src', 'bench'].filter((dir) => existsSync(join(root, dir))).flatMap(sourceFiles);
const importPattern = /(?:^|\n)[^\n]*?(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
const problems = [];
const upward = [];
const graph = new Map();

for (const file of files) {
  const text = readFileSync(join(root, file), 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > maxLines) problems.push(`${file}: ${lines} lines (at most ${maxLines}); split it by responsibility`);
  const targets = [];
  for (const match of text.matchAll(importPattern)) {
    const target = normalize(join(dirname(file), match[1] ?? match[2])).replace(/\.js$/, '.ts');
    targets.push(target);
    // A deliberate exception says why on the import's line or the line above it.
    const start = match.index + match[0].search(/\S/);
    const lineStart = text.lastIndexOf('\n', text.lastIndexOf('\n', start - 1) - 1) + 1;
    const marked = /\/\/ upward: \S/.test(text.slice(lineStart, match.index + match[0].length));
    const from = floorOf(file);
    const to = floorOf(target);
    if (from !== undefined && to !== undefined && to > from) {
      if (marked) upward.push(`${file} -> ${target}`);
      else problems.push(`${file} imports ${target}, a higher floor: move the shared type down or invert the call (or mark a deliberate exception with "// upward: why")`);
    }
    const backend = target.startsWith(backendsDir) && target !== backendOpener ? target.slice(0, target.indexOf('/', backendsDir.length) + 1) : undefined;
    if (backend && !file.startsWith(backend) && file !== backendOpener) problems.push(`${file} imports ${target}: only ${backendOpener} may reach into a backend's folder`);
  }
  graph.set(file, targets);
  if (file.startsWith('src/') && floorOf(file) === undefined) problems.push(`${file} is on no floor: give its folder one in scripts/check-structure.mjs and DESIGN.md`);
}
if (upward.length > maxUpward) problems.push(`${upward.length} marked upward imports (at most ${maxUpward}): ${upward.join(', ')}`);

// Import circles: strongly connected components of more than one file (Tarjan).
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
let counter = 0;
const circles = [];
function visit(node) {
  index.set(node, counter);
  low.set(node, counter++);
  stack.push(node);
  onStack.add(node);
  for (const next of graph.get(node) ?? []) {
    if (!graph.has(next)) continue;
    if (!index.has(next)) {
      visit(next);
      low.set(node, Math.min(low.get(node), low.get(next)));
    } else if (onStack.has(next)) low.set(node, Math.min(low.get(node), index.get(next)));
  }
  if (low.get(node) === index.get(node)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) circles.push(component);
  }
}
for (const file of graph.keys()) if (!index.has(file)) visit(file);
for (const circle of circles) problems.push(`import circle: ${circle.join(' <-> ')}`);

const summary = `structure: ${files.length} files, ${circles.length} import circles, ${upward.length} marked upward imports${upward.length ? ` (${upward.join(', ')})` : ''}`;
if (problems.length) {
  console.error(problems.map((problem) => `  ${problem}`).join('\n'));
  console.error(`${summary}; ${problems.length} problems`);
  process.exit(1);
}
console.log(summary);
