// The real CLI as a child process: exit codes, output, no stack traces.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cliPath, GatewayProcess, runCli } from '../helpers/gateway-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packageVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

function writeConfig(t: TestContext, text: string): string {
  const file = join(tempDir(t), 'gateway.yaml');
  writeFileSync(file, text);
  return file;
}

const noStackTrace = (text: string) => assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, `stack trace in output:\n${text}`);

describe('siem-gateway version', () => {
  test('prints the package version and exits 0', () => {
    const result = runCli(['version']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `siem-gateway ${packageVersion}\n`);
  });

  test('the compiled bin is directly executable (shebang and mode), as npx runs it', () => {
    const result = spawnSync(cliPath, ['version'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `siem-gateway ${packageVersion}\n`);
  });
});

describe('siem-gateway validate', () => {
  test('a good file: exit 0 and ok', (t) => {
    const file = writeConfig(t, 'environments: [ { id: prod } ]\nauth: { tokens: [ { name: a, token: "ingest-token-0123456789", scopes: [ingest] } ] }\n');
    const result = runCli(['validate', '--config', file]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'ok\n');
    assert.equal(result.stderr, '');
  });

  test('warnings go to stderr and do not fail validation', (t) => {
    const file = writeConfig(t, 'environments: [ { id: prod } ]\n');
    const result = runCli(['validate', '--config', file]);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, 'ok\n');
    assert.equal(result.stderr, `warning: ${file}:1 auth.tokens: no token has the ingest scope: every ingest request will be refused with 401\n`);
  });

  test('the embedded default gateway.yaml is valid and warns about its development tokens', () => {
    const result = runCli(['validate', '--config', join(root, 'gateway.yaml')]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'ok\n');
    assert.match(result.stderr, /environment variable INGEST_TOKEN is not set; using the development default/);
    assert.match(result.stderr, /environment variable ADMIN_TOKEN is not set; using the development default/);
    const quiet = runCli(['validate', '--config', join(root, 'gateway.yaml')], { INGEST_TOKEN: 'ingest-token-0123456789', ADMIN_TOKEN: 'admin-token-0123456789' });
    assert.equal(quiet.stderr, '');
  });

  test('a bad file: exit 2, one line per problem, no stack trace', (t) => {
    const file = writeConfig(t, `environments: [ { id: prod } ]
subscriptions:
  - id: s1
    environment: nope
    httpEndpoint: { url: "https://h/x" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 501 } }
`);
    const result = runCli(['validate', '--config', file]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, [
      `${file}:4 subscriptions[0].environment: unknown environment "nope"`,
      `${file}:7 subscriptions[0].payloadOptions.maximumPayloadLimit.size: must be 1..500 for EVENTS_PER_PAYLOAD`,
      '',
    ].join('\n'));
  });

  for (const [name, text, pattern] of [
    ['not YAML', 'environments: [ { id: prod }\n', /^.+gateway\.yaml:\d+ YAML syntax: .+$/],
    ['empty', '', /^.+gateway\.yaml: the file is empty; it must be a map of settings/],
    ['a list instead of a map', '- environments\n', /^.+gateway\.yaml:1 \(top level\): must be a map of settings, not a list$/],
    ['a wrong type', 'environments: [ { id: prod } ]\nshutdownTimeoutMs: soon\n', /^.+gateway\.yaml:2 shutdownTimeoutMs: must be a whole number$/],
  ] as const) {
    test(`${name}: exit 2 with a readable line`, (t) => {
      const result = runCli(['validate', '--config', writeConfig(t, text)]);
      assert.equal(result.status, 2);
      assert.match(result.stderr.trimEnd(), pattern);
      noStackTrace(result.stderr);
    });
  }

  test('a missing file: exit 2 naming the file', () => {
    const result = runCli(['validate', '--config', '/nonexistent/gateway.yaml']);
    assert.equal(result.status, 2);
    assert.equal(result.stderr, '/nonexistent/gateway.yaml: cannot read the file (ENOENT)\n');
  });
});

describe('usage errors', () => {
  test('no command, an unknown command, an unknown flag: exit 2 with usage', () => {
    for (const args of [[], ['launch'], ['validate', '--confg', 'x.yaml'], ['validate', 'extra']]) {
      const result = runCli(args);
      assert.equal(result.status, 2, `args ${args.join(' ')}`);
      assert.match(result.stderr, /^siem-gateway: .+\nusage: siem-gateway <command>/);
      noStackTrace(result.stderr);
    }
  });

  test('--help prints usage and exits 0', () => {
    const result = runCli(['--help']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^usage: siem-gateway <command>/);
  });
});

describe('siem-gateway start', () => {
  test('a bad file: exit 2 with the same lines as validate, nothing started', (t) => {
    const file = writeConfig(t, 'environments: [ { id: prod } ]\nlogging: { level: chatty }\n');
    const result = runCli(['start', '--config', file]);
    assert.equal(result.status, 2);
    assert.equal(result.stderr, `${file}:2 logging.level: must be one of: fatal, error, warn, info, debug, trace\n`);
    assert.equal(result.stdout, '');
  });

  test('a port in use: exit 1 with a log line naming the address and the key', async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const port = (blocker.address() as { port: number }).port;
    const file = writeConfig(t, `environments: [ { id: prod } ]\nserver:\n  ingest: { listen: "127.0.0.1:${port}" }\n  admin: { listen: "127.0.0.1:0" }\n`);
    const gateway = GatewayProcess.start(file);
    t.after(() => gateway.kill());
    const line = await gateway.waitFor((l) => l.level === 60);
    assert.equal(line.msg, `cannot listen on 127.0.0.1:${port} for server.ingest.listen (EADDRINUSE)`);
    assert.deepEqual(await gateway.exited, { code: 1, signal: null });
  });
});
