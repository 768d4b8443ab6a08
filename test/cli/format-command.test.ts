// siem-gateway format: how an event file maps, before anyone subscribes; the real CLI as a child
// process, events on standard input, problems named by line or index with exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cliPath } from '../helpers/gateway-process.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../test/fixtures/idp/${name}`, import.meta.url)));
const format = (input: Buffer | string, ...args: string[]) => {
  const result = spawnSync(process.execPath, [cliPath, 'format', ...args], { input, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

test('format --format OCSF: events in any of the events API\'s forms, one OCSF event per line, redacted as a subscription would', () => {
  const event = { id: 'e1', recordedAt: '2026-12-07T10:15:00Z', action: { type: 'USER.CREATED' }, resources: [{ type: 'USER', id: 'u1', name: 'alice' }], source: { ipAddress: '203.0.113.5' } };
  for (const input of [JSON.stringify([event, { ...event, id: 'e2' }]), `${JSON.stringify(event)}\n${JSON.stringify({ ...event, id: 'e2' })}\n`]) {
    const { status, stdout, stderr } = format(input, '--format', 'OCSF');
    assert.equal(status, 0, stderr);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { class_uid: number; activity_id: number; user: unknown; metadata: { uid: string }; unmapped?: unknown; src_endpoint?: unknown });
    assert.deepEqual(lines.map((line) => [line.metadata.uid, line.class_uid, line.activity_id]), [['e1', 3001, 1], ['e2', 3001, 1]]);
    assert.deepEqual(lines[0]!.user, { uid: 'u1', name: 'alice' });
    assert.doesNotMatch(stdout, /203\.0\.113\.5/, 'the address is not exposed by default');
  }
  const exposed = format(JSON.stringify(event), '--format', 'ocsf', '--expose-ip');
  assert.match(exposed.stdout, /"src_endpoint":\{"ip":"203\.0\.113\.5"\}/);
});

test('format --source keycloak: the IdP\'s own webhook body, read as the source reads it', () => {
  const { status, stdout, stderr } = format(fixture('keycloak-user-event-login.phasetwo-docs.json'), '--format', 'OCSF', '--source', 'keycloak', '--include-raw');
  assert.equal(status, 0, stderr);
  const ocsf = JSON.parse(stdout) as { class_uid: number; metadata: { product: { name: string } }; user: { name: string }; raw_data: string };
  assert.deepEqual([ocsf.class_uid, ocsf.metadata.product.name, ocsf.user.name], [3002, 'Keycloak', 'johndoe']);
  assert.doesNotMatch(ocsf.raw_data, /78\.195\.109\.209/, 'the raw payload without the unexposed address');
});

test('format: bad input and bad options are named, with exit 2', () => {
  assert.deepEqual(format('[{"id":"x","recordedAt":"2026-12-07T10:15:00Z"},{"id":"y"}]', '--format', 'OCSF').stderr.trimEnd().split('\n'), [
    'siem-gateway format: event 0 /action/type: is required',
    'siem-gateway format: event 1 /recordedAt: is required',
    'siem-gateway format: event 1 /action/type: is required',
  ]);
  const ndjson = format('{"id":"a","recordedAt":"2026-12-07T10:15:00Z","action":{"type":"X"}}\n{oops\n', '--format', 'OCSF');
  assert.equal(ndjson.status, 2);
  assert.match(ndjson.stderr.trim(), /^siem-gateway format: line 2: not JSON \(Expected property name/);
  assert.match(format('', '--format', 'OCSF').stderr, /no events on standard input/);
  assert.match(format('[]', '--format', 'XML').stderr, /--format must be one of: ACTIVITY, SPLUNK, NEWRELIC, ELASTICSEARCH, OTLP, OCSF, CEF, LEEF/);
  assert.match(format('[]', '--format', 'TEMPLATE').stderr, /TEMPLATE needs a subscription's template or key/);
  assert.match(format('{}', '--format', 'OCSF', '--source', 'okta').stderr, /--source must be one of: keycloak, asgardeo, am-webhook/);
  assert.match(format('not json', '--format', 'OCSF', '--source', 'keycloak').stderr, /the keycloak body cannot be read: /);
  assert.equal(format('[]').status, 2, 'no --format');
});
