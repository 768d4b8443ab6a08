// ELASTICSEARCH's parts: the ECS document against what Elastic's own PingOne integration makes of
// the same event, the action line, the index name's date parts, and the bulk response read item by item.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ecsDocument } from '../../formats/elasticsearch-document.js';
import { bulkActionLine, bulkItemOutcomes } from '../../formats/elasticsearch-bulk.js';
import { compileIndexName } from '../../src/config/index-name.js';
import { UnreadableResponseError } from '../../src/contracts/formatter.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { asgardeoSource } from '../../src/sources/asgardeo.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../test/fixtures/idp/${name}`, import.meta.url), 'utf8')) as ActivityEvent;

test('the ECS document carries the fields Elastic\'s PingOne integration makes of the same event', () => {
  const event = fixture('pingone-activity-application-updated.elastic.json');
  const document = ecsDocument(event) as Record<string, Record<string, unknown>>;
  // elastic/integrations packages/ping_one/data_stream/audit/_dev/test/pipeline/test-pipeline-audit.log-expected.json, its fourth document.
  assert.equal(document['@timestamp'], '2022-07-06T11:31:55.312Z');
  assert.deepEqual(
    { action: document.event!.action, category: document.event!.category, id: document.event!.id, kind: document.event!.kind, outcome: document.event!.outcome, type: document.event!.type },
    { action: 'application.updated', category: ['iam', 'configuration'], id: '123abc123-12ab-1234-1abc-abc123abc12', kind: 'event', outcome: 'success', type: ['change'] },
  );
  assert.deepEqual(document.client, { user: { id: 'adminui', name: 'adminui' } });
  assert.deepEqual(document.related, { user: ['adminui', '123abc123-12ab-1234-1abc-abc123abc12', 'example@gmail.com'] });
  assert.deepEqual(document.user, { id: '123abc123-12ab-1234-1abc-abc123abc12', name: 'example@gmail.com' });
  assert.deepEqual(JSON.parse(document.event!.original as string), event, 'event.original is the event as received');
  assert.equal(document.source, undefined, 'no source section: nothing exposed');
  const audit = (document.ping_one as { audit: Record<string, unknown> }).audit;
  assert.deepEqual(audit.correlation, { id: '123abc123-12ab-1234-1abc-abc123abc12' });
  assert.equal(audit.created_at, '2022-07-06T11:31:55.329Z');
});

test('source.ip and user_agent.original appear only when the (redacted) event still holds them', () => {
  const event = fixture('pingone-activity-user-access-allowed.elastic.json');
  const exposed = ecsDocument({ ...event, source: { ipAddress: '203.0.113.7', userAgent: 'curl/8' } });
  assert.deepEqual([exposed.source, exposed.user_agent], [{ ip: '203.0.113.7' }, { original: 'curl/8' }]);
  const hidden = ecsDocument({ ...event, source: { region: 'eu' } });
  assert.deepEqual([hidden.source, hidden.user_agent], [undefined, undefined]);
  assert.deepEqual((hidden.event as { type: string[] }).type, ['user', 'info', 'access']);
});

test('the action line creates (never overwrites) under the event id', () => {
  assert.equal(bulkActionLine('idp-audit-2026.12.07', 'e"1'), '{"create":{"_index":"idp-audit-2026.12.07","_id":"e\\"1"}}');
  assert.equal(bulkActionLine('logs-pingone-default', 'e2', 'ecs-fixups'), '{"create":{"_index":"logs-pingone-default","_id":"e2","pipeline":"ecs-fixups"}}');
});

test('a bulk response is read per item: indexed, already there, throttled, failed, rejected; errors:false is not trusted', () => {
  // Shapes as the Bulk API documents them (elastic.co, "Bulk API", response body and examples).
  const response = {
    took: 30,
    errors: false, // wrong on purpose: the items say otherwise
    items: [
      { create: { _index: 'a', _id: '1', status: 201, result: 'created' } },
      { create: { _index: 'a', _id: '2', status: 409, error: { type: 'version_conflict_engine_exception', reason: '[2]: version conflict, document already exists (current version [1])' } } },
      { create: { _index: 'a', _id: '3', status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' } } },
      { create: { _index: 'a', _id: '4', status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } } },
      { create: { _index: 'a', _id: '5', status: 400, error: { type: 'document_parsing_exception', reason: "[1:42] failed to parse field [user.id] of type [long] in document with id '5'. Preview of field's value: 'alice@example.com'" } } },
      { create: { _index: 'a', _id: '6', status: 409, error: { type: 'some_other_conflict', reason: 'x' } } },
    ],
  };
  assert.deepEqual(bulkItemOutcomes(JSON.stringify(response), 6), [
    { outcome: 'delivered' },
    { outcome: 'delivered', duplicate: true },
    { outcome: 'retry', status: 429, reason: 'es_rejected_execution_exception: rejected execution of coordinating operation' },
    { outcome: 'retry', status: 503, reason: 'unavailable_shards_exception: primary shard is not active' },
    // The value Elasticsearch previews is event data: it never reaches a log.
    { outcome: 'rejected', status: 400, reason: "document_parsing_exception: [1:42] failed to parse field [user.id] of type [long] in document with id '5'" },
    { outcome: 'rejected', status: 409, reason: 'some_other_conflict: x' },
  ]);
});

test('a bulk response that does not account for every event is unreadable, never taken as delivered', () => {
  const one = JSON.stringify({ errors: false, items: [{ create: { status: 201 } }] });
  assert.throws(() => bulkItemOutcomes(one, 2), (error) => error instanceof UnreadableResponseError && /1 items for 2 events/.test(error.message));
  assert.throws(() => bulkItemOutcomes('{"errors":false}', 1), UnreadableResponseError);
  assert.throws(() => bulkItemOutcomes('<html>', 1), UnreadableResponseError);
  assert.throws(() => bulkItemOutcomes('null', 1), UnreadableResponseError);
  assert.throws(() => bulkItemOutcomes(JSON.stringify({ items: [{ index: { status: 201 } }] }), 1), /item 0 has no create.status/);
});

test('an index name takes the event\'s UTC date, and only that', () => {
  const daily = compileIndexName('idp-audit-${recordedAt:yyyy.MM.dd}');
  assert.equal(daily('2026-12-31T23:59:59.999Z'), 'idp-audit-2026.12.31');
  assert.equal(daily('2027-01-01T00:30:00.000+01:00'), 'idp-audit-2026.12.31', 'an offset is read as UTC');
  assert.equal(compileIndexName('a-${recordedAt:yyyy-MM}-${recordedAt:dd_HH}')('2026-03-04T05:06:07Z'), 'a-2026-03-04_05');
  assert.equal(compileIndexName('logs-pingone.audit-default')('2026-03-04T05:06:07Z'), 'logs-pingone.audit-default');
  for (const [template, message] of [
    ['idp-${env:HOME}', /only \$\{recordedAt:…\}/],
    ['idp-${recordedAt:yyyy/MM}', /only \$\{recordedAt:…\}/],
    ['idp-${actors.user.name}', /only \$\{recordedAt:…\}/],
    ['IDP-audit', /lower case/],
    ['idp audit', /must not contain/],
    ['_idp', /must not start/],
    ['..', /must not be \. or \.\./],
    ['x'.repeat(256), /255 bytes/],
  ] as const) assert.throws(() => compileIndexName(template), message, template);
});

test('event.outcome is failure for every failed status the sources write (Asgardeo and Keycloak say FAILED), success for theirs', async () => {
  const source = { id: 'asgardeo', type: 'asgardeo', environment: 'prod', dedupeWindowSeconds: 0 } as Parameters<typeof asgardeoSource.normalise>[0];
  const stored = async (name: string) => (await asgardeoSource.normalise(source, { headers: { 'content-type': 'application/json' }, body: readFileSync(new URL(`../../../test/fixtures/idp/${name}`, import.meta.url)) })).events[0]!;
  const outcome = (event: ActivityEvent) => (ecsDocument(event).event as { outcome?: string }).outcome;
  assert.equal(outcome(await stored('asgardeo-login-failed.json')), 'failure');
  assert.equal(outcome(await stored('asgardeo-login-success.json')), 'success');
  const keycloak = { id: 'k1', recordedAt: '2026-12-07T10:15:00.000Z', action: { type: 'USER.LOGIN_ERROR' } };
  assert.equal(outcome({ ...keycloak, result: { status: 'FAILED', description: 'invalid_user_credentials' } }), 'failure');
  assert.equal(outcome({ ...keycloak, result: { status: 'FAILURE' } }), 'failure');
  // The same statuses the syslog line gives warning severity (src/event/result-status.ts).
  for (const status of ['DENIED', 'REJECTED', 'error']) assert.equal(outcome({ ...keycloak, result: { status } }), 'failure', status);
  assert.equal(outcome({ ...keycloak, result: { status: 'PENDING' } }), undefined, 'neither: no outcome rather than a guess');
});
