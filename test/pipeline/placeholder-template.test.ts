// The ${name} template language: parsing, escaping per landing place, and the names an event
// answers to (PingAM session properties, dotted paths, WebhookEventType, the _original body).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { eventLookup, webhookEventType } from '../../formats/session-properties.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { fillTemplate, fillWithStandIns, parseTemplate, splitUrlTemplate, TemplateSyntaxError } from '../../src/config/placeholder-template.js';

const fill = (text: string, landing: Parameters<typeof parseTemplate>[1], values: Record<string, unknown>) => fillTemplate(parseTemplate(text, landing), (name) => values[name]);

test('a template parses into literals and placeholders, and names where it is broken', () => {
  const parsed = parseTemplate('{"user":"${UserId}","n":${count},"s":"a\\"${x}"}', 'json');
  assert.deepEqual(parsed.literals, ['{"user":"', '","n":', ',"s":"a\\"', '"}']);
  assert.deepEqual(parsed.placeholders.map((p) => [p.name, p.inString]), [['UserId', true], ['count', false], ['x', true]]);
  assert.throws(() => parseTemplate('user=${UserId&x=1', 'form'), (error: unknown) => error instanceof TemplateSyntaxError && /unclosed \$\{ at character 6/.test(error.message) && error.offset === 5);
  assert.throws(() => parseTemplate('a ${} b', 'header'), /placeholder \$\{\} at character 3/);
  assert.throws(() => parseTemplate('${user name}', 'header'), /whose name is not/);
  assert.deepEqual(parseTemplate('no placeholders', 'url').literals, ['no placeholders']);
});

test('values are escaped for where they land: no value can change the structure around it', () => {
  const hostile = 'x", "admin": true, "y": "\n&role=admin\r\nX-Injected: 1 %41 /../?#';
  // JSON, inside a string: one string member, whatever the value holds.
  const json = JSON.parse(fill('{"user":"${UserId}","event":"${WebhookEventType}"}', 'json', { UserId: hostile, WebhookEventType: 'LOGOUT' })) as Record<string, unknown>;
  assert.deepEqual(json, { user: hostile, event: 'LOGOUT' });
  // JSON, outside a string: the value as JSON.
  assert.deepEqual(JSON.parse(fill('{"who":${actors.user},"n":${n},"s":${s}}', 'json', { 'actors.user': { name: hostile }, n: 7, s: hostile })), { who: { name: hostile }, n: 7, s: hostile });
  // Form: one field each.
  const form = new URLSearchParams(fill('user=${UserId}&event=${WebhookEventType}', 'form', { UserId: hostile, WebhookEventType: 'LOGOUT' }));
  assert.deepEqual([...form], [['user', hostile], ['event', 'LOGOUT']]);
  // URL: one path segment and one query value.
  const url = new URL(`https://receiver.example${fill('/users/${UserId}/logout?event=${WebhookEventType}', 'url', { UserId: hostile, WebhookEventType: 'LOGOUT' })}`);
  assert.equal(decodeURIComponent(url.pathname.split('/')[2]!), hostile);
  assert.equal(url.pathname.split('/').length, 4);
  assert.deepEqual([...url.searchParams], [['event', 'LOGOUT']]);
  assert.equal(url.hash, '');
  // Header: printable ASCII only, so no line break can add a header.
  const header = fill('Bearer ${UserId}', 'header', { UserId: hostile });
  assert.match(header, /^[\x20-\x7e]+$/);
  assert.equal(decodeURIComponent(header.slice('Bearer '.length)), hostile, '% and the rest are percent-encoded, so the value is recoverable');
  assert.equal(fill('${n}', 'header', { n: 'Zoë' }), 'Zo%C3%AB');
  assert.equal(fill('${n}', 'url', { n: 'a\uD800b' }), 'a%EF%BF%BDb', 'a lone surrogate becomes U+FFFD instead of throwing');
});

test('a placeholder with no value keeps its literal ${name}, escaped for where it lands', () => {
  assert.equal(fill('user=${UserId}', 'form', {}), 'user=%24%7BUserId%7D');
  assert.equal(new URLSearchParams(fill('user=${UserId}', 'form', {})).get('user'), '${UserId}');
  assert.deepEqual(JSON.parse(fill('{"u":"${UserId}","v":${UserId}}', 'json', { UserId: '' })), { u: '${UserId}', v: '${UserId}' });
  assert.equal(fill('X ${Locale}', 'header', { Locale: null }), 'X ${Locale}');
  assert.equal(fill('/u/${UserId}', 'url', {}), '/u/%24%7BUserId%7D');
});

test('stand-ins keep every position of the template, for error messages', () => {
  const text = '{"a":"${UserId}", "b": ${n} }';
  const filled = fillWithStandIns(parseTemplate(text, 'json'));
  assert.equal(filled.length, text.length);
  assert.doesNotThrow(() => JSON.parse(filled));
  assert.deepEqual(splitUrlTemplate('https://h.example:8443?x=${a}'), { origin: 'https://h.example:8443', path: '/?x=${a}' });
  assert.deepEqual(splitUrlTemplate('https://h.example'), { origin: 'https://h.example', path: '/' });
  assert.deepEqual(splitUrlTemplate('https://${host}/x'), { origin: 'https://${host}', path: '/x' });
});

test('an event answers to session properties, dotted paths, WebhookEventType and its _original fields', () => {
  const pingone = JSON.parse(readFileSync(new URL('../../../test/fixtures/idp/pingone-activity-user-access-allowed.elastic.json', import.meta.url), 'utf8')) as ActivityEvent | ActivityEvent[];
  const event = (Array.isArray(pingone) ? pingone[0]! : pingone) as ActivityEvent & { actors: { user: { id: string; name: string } } };
  const lookup = eventLookup(event);
  assert.equal(lookup('UserId'), event.actors.user.id);
  assert.equal(lookup('Principal'), event.actors.user.name);
  assert.equal(lookup('actors.user.name'), event.actors.user.name);
  assert.equal(lookup('resources.0.id'), (event.resources as { id: string }[])[0]!.id);
  assert.equal(lookup('action.type'), event.action.type);
  assert.equal(lookup('Locale'), undefined);
  assert.equal(lookup('resources.9.id'), undefined);
  for (const name of ['constructor', 'toString', '__proto__']) assert.equal(lookup(name), undefined, `${name} is no property of anything`);
  assert.equal(webhookEventType('constructor'), undefined);

  // An AM logout as the am-webhook source stores it: the form AM sent is `_original`.
  const am: ActivityEvent = { id: 'ctx-1:LOGOUT', recordedAt: '2026-11-24T10:00:00.000Z', action: { type: 'SESSION.LOGOUT', description: 'LOGOUT' }, actors: { user: { id: 'bjensen', name: 'id=bjensen,ou=user,o=alpha' } }, session: { id: 'ctx-1' }, _original: 'WebhookEventType=LOGOUT&UserId=bjensen&Locale=en_US&sun.am.UniversalIdentifier=id%3Dbjensen&Host=192.0.2.1' };
  const amLookup = eventLookup(am);
  assert.equal(amLookup('WebhookEventType'), 'LOGOUT');
  assert.equal(amLookup('AMCtxId'), 'ctx-1');
  assert.equal(amLookup('Locale'), 'en_US', 'a property the canonical event has no place for comes from _original');
  assert.equal(amLookup('sun.am.UniversalIdentifier'), 'id=bjensen');
  assert.equal(amLookup('Host'), undefined, 'the IP address never comes from _original: only an exposed source.ipAddress gives it');
  assert.equal(eventLookup({ ...am, source: { ipAddress: '192.0.2.1' } })('Host'), '192.0.2.1');

  assert.deepEqual(['SESSION.LOGOUT', 'SESSION.DELETED', 'KEYCLOAK.ACCESS.LOGOUT', 'SESSION.UPGRADE', 'SESSION.DESTROYED', 'SESSION.MAX_TIMEOUT', 'SESSION.IDLE_TIMEOUT', 'USER.CREATED'].map(webhookEventType), ['LOGOUT', 'LOGOUT', 'LOGOUT', 'UPGRADE', 'DESTROY', 'MAX_TIMEOUT', 'IDLE_TIMEOUT', undefined]);
});
