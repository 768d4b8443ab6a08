// The NATS configuration the README gives is the one the tests run (test/helpers/nats-server.ts
// starts every server from examples/nats/): the README shows it as it is, and the 2.10 file differs
// from it by the one line the README names.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configFile } from '../helpers/nats-server.js';

const file = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

test('the README shows examples/nats/ as the tests run it, and the tests pick the file for the installed nats-server', () => {
  const readme = file('README.md');
  assert.ok(readme.includes(`\`\`\`text\n${file('examples/nats/nats-server.conf')}\`\`\``), 'README shows examples/nats/nats-server.conf as it is');
  assert.ok(readme.includes('(examples/nats/nats-server-2.10.conf)') && readme.includes('`sync_interval: always`'), 'README links the 2.10 file and names its line');
  // The 2.10 file is the 2.9 file with that one line (and its own header comment).
  const body = (name: string) => file(`examples/nats/${name}`).replace(/^#.*\n/gm, '');
  assert.equal(body('nats-server-2.10.conf').replace(/^\s+sync_interval: always\n/m, ''), body('nats-server.conf'));
  assert.doesNotMatch(file('examples/nats/nats-server.conf'), /sync_interval/, 'the 2.9 file has no sync_interval');
  assert.match(file('examples/nats/nats-server-2.10.conf'), /^\s+sync_interval: always$/m);
  assert.match(configFile(), /^nats-server(-2\.10)?\.conf$/);
});
