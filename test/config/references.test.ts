// ${env:NAME}, ${env:NAME:-default} and ${file:/path} anywhere in string values.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ConfigError, loadConfigFile } from '../../src/config/load-config.js';
import { tempDir } from '../helpers/temp-dir.js';

const subscriptionWithHeader = (header: string) => `environments: [ { id: prod } ]
auth: { tokens: [ { name: a, token: "ingest-token-0123456789", scopes: [ingest] } ] }
subscriptions:
  - id: s
    environment: prod
    httpEndpoint:
      url: "https://siem.example/x"
      headers: { Authorization: "${header}" }
    filterOptions: { includedActionTypes: ["*"] }
`;

function load(t: TestContext, text: string, env: NodeJS.ProcessEnv, files: Record<string, string> = {}) {
  const dir = tempDir(t);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, text);
  return { dir, file, ...tryLoad(file, env) };
}

function tryLoad(file: string, env: NodeJS.ProcessEnv) {
  try {
    return { loaded: loadConfigFile(file, { env }), problems: [] as string[] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { loaded: undefined, problems: error.problems };
  }
}

const header = (loaded: ReturnType<typeof loadConfigFile> | undefined) => loaded?.config.subscriptions[0]?.httpEndpoint?.headers?.Authorization;

test('an environment variable inside a longer string', (t) => {
  const { loaded } = load(t, subscriptionWithHeader('Splunk ${env:HEC_TOKEN}'), { HEC_TOKEN: 'abc-123' });
  assert.equal(header(loaded), 'Splunk abc-123');
});

test('several references in one value, and an escaped literal', (t) => {
  const { loaded } = load(t, subscriptionWithHeader('${env:A}:${file:./b.txt}:$${env:NOT}'), { A: 'a' }, { 'b.txt': 'bee\n' });
  assert.equal(header(loaded), 'a:bee:${env:NOT}');
});

test('an unset variable is an error that names it; an empty one counts as unset', (t) => {
  const { file, problems } = load(t, subscriptionWithHeader('Splunk ${env:HEC_TOKEN}'), {});
  assert.deepEqual(problems, [`${file}:8 subscriptions[0].httpEndpoint.headers.Authorization: environment variable HEC_TOKEN is not set`]);
  assert.deepEqual(tryLoad(file, { HEC_TOKEN: '' }).problems, problems);
});

test('a default is used, with a warning that names the variable but not the value', (t) => {
  const { file, loaded } = load(t, subscriptionWithHeader('Splunk ${env:HEC_TOKEN:-dev-default-value}'), {});
  assert.equal(header(loaded), 'Splunk dev-default-value');
  assert.deepEqual(loaded!.warnings, [
    `${file}:8 subscriptions[0].httpEndpoint.headers.Authorization: environment variable HEC_TOKEN is not set; using the development default written in the file. Set HEC_TOKEN before real use`,
  ]);
  assert.equal(header(tryLoad(file, { HEC_TOKEN: 'real' }).loaded), 'Splunk real');
});

test('a file reference, relative to the configuration file, loses one trailing newline only', (t) => {
  const text = 'environments: [ { id: prod } ]\nauth:\n  tokens:\n    - { name: a, token: "${file:./tok}", scopes: [ingest] }\n';
  const { loaded } = load(t, text, {}, { tok: 'token-from-a-file\nsecond line\n\n' });
  assert.equal(loaded?.config.auth.tokens[0]?.token, 'token-from-a-file\nsecond line\n');
});

test('an absolute file reference', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'token'), 'from-absolute');
  const { loaded } = load(t, subscriptionWithHeader(`\${file:${join(dir, 'token')}}`), {});
  assert.equal(header(loaded), 'from-absolute');
});

test('an unreadable file is an error naming the path and the reason', (t) => {
  const { file, problems } = load(t, subscriptionWithHeader('${file:./missing.txt}'), {});
  assert.deepEqual(problems, [`${file}:8 subscriptions[0].httpEndpoint.headers.Authorization: cannot read \${file:./missing.txt} (ENOENT)`]);
});

test('a path that cannot be read as a file is an error too', (t) => {
  // Root reads any file whatever its mode, so a directory stands in for an unreadable file (not a regular file).
  const dir = tempDir(t);
  const { file, problems } = load(t, subscriptionWithHeader(`\${file:${dir}}`), {});
  assert.deepEqual(problems, [`${file}:8 subscriptions[0].httpEndpoint.headers.Authorization: cannot read \${file:${dir}} (not a regular file)`]);
});

test('an unknown reference kind is an error', (t) => {
  const { file, problems } = load(t, subscriptionWithHeader('${vault:secret/x}'), {});
  assert.deepEqual(problems, [
    `${file}:8 subscriptions[0].httpEndpoint.headers.Authorization: unknown reference "\${vault:secret/x}": use \${env:NAME}, \${env:NAME:-default} or \${file:/path} (write $\${ for a literal \${)`,
  ]);
});

test('a resolved secret never appears in a problem about that value', (t) => {
  const text = 'environments: [ { id: prod } ]\nauth:\n  tokens:\n    - { name: a, token: "${file:./tok}", scopes: [banana] }\n';
  const { problems } = load(t, text, {}, { tok: 'super-secret-token-value' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /auth\.tokens\[0\]\.scopes\[0\]: must be one of: ingest, admin, metrics$/);
  assert.ok(!problems.join('\n').includes('super-secret'));
});
