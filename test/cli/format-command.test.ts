// siem-gateway format: how an event file maps, before anyone subscribes; the real CLI as a child
// process, events on standard input, problems named by line or index with exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatEvents, type FormatOptions } from '../../src/cli/format-command.js';
import { cliPath } from '../helpers/gateway-process.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../test/fixtures/idp/${name}`, import.meta.url)));
const format = (input: Buffer | string, ...args: string[]) => {
  const result = spawnSync(process.execPath, [cliPath, 'format', ...args], { input, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

test('format --format OCSF: events in any of the events API\'s forms, one OCSF event per line, redacted as a subscription would', async () => {
  const event = { id: 'e1', recordedAt: '2026-12-07T10:15:00Z', action: { type: 'USER.CREATED' }, resources: [{ type: 'USER', id: 'u1', name: 'alice' }], source: { ipAddress: '203.0.113.5' } };
  const cli = format(JSON.stringify([event, { ...event, id: 'e2' }]), '--format', 'OCSF');
  assert.equal(cli.status, 0, cli.stderr);
  for (const input of [JSON.stringify([event, { ...event, id: 'e2' }]), `${JSON.stringify(event)}\n${JSON.stringify({ ...event, id: 'e2' })}\n`]) {
    const result = await formatEvents(Buffer.from(input), { format: 'OCSF', exposeIp: false, exposeUserAgent: false, includeRaw: false });
    assert.ok('lines' in result);
    const stdout = result.lines.map((line) => `${line}\n`).join('');
    if (input.startsWith('[')) assert.equal(stdout, cli.stdout, 'the CLI prints what the function gives');
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { class_uid: number; activity_id: number; user: unknown; metadata: { uid: string }; unmapped?: unknown; src_endpoint?: unknown });
    assert.deepEqual(lines.map((line) => [line.metadata.uid, line.class_uid, line.activity_id]), [['e1', 3001, 1], ['e2', 3001, 1]]);
    assert.deepEqual(lines[0]!.user, { uid: 'u1', name: 'alice' });
    assert.doesNotMatch(stdout, /203\.0\.113\.5/, 'the address is not exposed by default');
  }
  const exposed = await formatEvents(Buffer.from(JSON.stringify(event)), { format: 'ocsf', exposeIp: true, exposeUserAgent: false, includeRaw: false });
  assert.match(JSON.stringify(exposed), /\\"src_endpoint\\":\{\\"ip\\":\\"203\.0\.113\.5\\"\}/);
});

test('format --source keycloak: the IdP\'s own webhook body, read as the source reads it', () => {
  const { status, stdout, stderr } = format(fixture('keycloak-user-event-login.phasetwo-docs.json'), '--format', 'OCSF', '--source', 'keycloak', '--include-raw');
  assert.equal(status, 0, stderr);
  const ocsf = JSON.parse(stdout) as { class_uid: number; metadata: { product: { name: string } }; user: { name: string }; raw_data: string };
  assert.deepEqual([ocsf.class_uid, ocsf.metadata.product.name, ocsf.user.name], [3002, 'Keycloak', 'johndoe']);
  assert.doesNotMatch(ocsf.raw_data, /78\.195\.109\.209/, 'the raw payload without the unexposed address');
});

test('format: bad input and bad options are named, with exit 2', async () => {
  // The CLI: each problem on its own line, exit 2.
  const bad = format('[{"id":"x","recordedAt":"2026-12-07T10:15:00Z"},{"id":"y"}]', '--format', 'OCSF');
  assert.equal(bad.status, 2);
  assert.deepEqual(bad.stderr.trimEnd().split('\n'), [
    'siem-gateway format: event 0 /action/type: is required',
    'siem-gateway format: event 1 /recordedAt: is required',
    'siem-gateway format: event 1 /action/type: is required',
  ]);
  assert.equal(format('[]').status, 2, 'no --format');
  // The rest in this process: the same function the command runs.
  const problems = async (input: string, options: Partial<FormatOptions>) => {
    const result = await formatEvents(Buffer.from(input), { format: 'OCSF', exposeIp: false, exposeUserAgent: false, includeRaw: false, ...options });
    return 'problems' in result ? result.problems.join('\n') : 'no problem';
  };
  assert.match(await problems('{"id":"a","recordedAt":"2026-12-07T10:15:00Z","action":{"type":"X"}}\n{oops\n', {}), /^line 2: not JSON \(Expected property name/);
  assert.match(await problems('', {}), /no events on standard input/);
  assert.match(await problems('[]', { format: 'XML' }), /--format must be one of: ACTIVITY, SPLUNK, NEWRELIC, ELASTICSEARCH, OTLP, OCSF, CEF, LEEF/);
  assert.match(await problems('[]', { format: 'TEMPLATE' }), /TEMPLATE needs a subscription's template or key/);
  assert.match(await problems('{}', { source: 'okta' }), /--source must be one of: keycloak, asgardeo, am-webhook/);
  assert.match(await problems('not json', { source: 'keycloak' }), /the keycloak body cannot be read: /);
});
