// New Relic's attribute limits: at most 255 attributes, names of at most 255 characters, string
// values cut at 4094 (Log API) or 4096 (Event API) characters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newRelicFormatter } from '../../formats/newrelic.js';
import type { ActivityEvent } from '../../src/event.js';
import type { FormatContext } from '../../src/pipeline/formatter.js';

const context = (api: 'logs' | 'events', encoding: 'JSON_ARRAY' | 'ND_JSON' = 'JSON_ARRAY'): FormatContext => ({ environment: 'prod', encoding, newRelic: { api } });
const wide: ActivityEvent = {
  id: 'w',
  recordedAt: '2026-11-23T10:15:00Z',
  action: { type: 'X' },
  many: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`k${i}`, i])),
  [`n${'a'.repeat(300)}`]: 'long name',
  long: 'v'.repeat(5000),
  __proto__: { polluted: 1 },
};

test('Log API detailed: 255 attributes at most, counting timestamp, message and the 3 common ones; long names dropped, long values cut at 4094', () => {
  const item = newRelicFormatter.format(wide, context('logs')) as { attributes: Record<string, unknown> };
  const names = Object.keys(item.attributes);
  assert.equal(names.length, 250);
  assert.ok(names.every((name) => name.length <= 255));
  assert.equal((item.attributes.long as string | undefined)?.length ?? 4094, 4094);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('Log API simplified (ND_JSON): the gateway attributes count toward the 255', () => {
  const item = newRelicFormatter.format(wide, context('logs', 'ND_JSON')) as Record<string, unknown>;
  assert.equal(Object.keys(item).length, 255);
  assert.equal(item.logtype, 'pingone:activity');
  assert.equal(item.message, 'X');
});

test('Event API: eventType and timestamp first, booleans as strings, values cut at 4096', () => {
  const event = { id: 'b', recordedAt: '2026-11-23T10:15:00.5Z', action: { type: 'X' }, flag: true, long: 'v'.repeat(5000), eventType: 'spoofed' } as ActivityEvent;
  const item = newRelicFormatter.format(event, context('events')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(item).slice(0, 2), ['eventType', 'timestamp']);
  assert.equal(item.eventType, 'PingOneActivity');
  assert.equal(item.timestamp, Date.parse('2026-11-23T10:15:00.5Z'));
  assert.equal(item.flag, 'true');
  assert.equal((item.long as string).length, 4096);
  assert.equal(item['event.eventType'], 'spoofed', "the event's own eventType is kept under a prefixed name");
});

test('names that collide (a dotted key and a nested one, or a name the gateway writes) keep every value under event.<name>, and are counted', () => {
  const adjusted: { renamed: number; dropped: number; truncated: number }[] = [];
  const event = { id: 'c', recordedAt: '2026-11-23T10:15:00Z', action: { type: 'X' }, 'a.b': 'dotted', a: { b: 'nested' }, timestamp: 'event time', message: 'event message', service: 'event service', event: { a: { b: 'already there' } } } as ActivityEvent;
  for (const encoding of ['JSON_ARRAY', 'ND_JSON'] as const) {
    adjusted.length = 0;
    const item = newRelicFormatter.format(event, { ...context('logs', encoding), onAttributes: (a) => adjusted.push(a) }) as Record<string, unknown>;
    const attributes = (encoding === 'JSON_ARRAY' ? item.attributes : item) as Record<string, unknown>;
    assert.equal(attributes['a.b'], 'dotted', encoding);
    // First come, first served, in document order.
    assert.equal(attributes['event.a.b'], 'nested');
    assert.equal(attributes['event.event.a.b'], 'already there');
    assert.equal(attributes['event.timestamp'], 'event time');
    assert.equal(attributes['event.message'], 'event message');
    assert.equal(attributes['event.service'], 'event service');
    if (encoding === 'ND_JSON') assert.deepEqual([item.service, item.message, typeof item.timestamp], ['siem-gateway', 'X', 'number']);
    assert.deepEqual(adjusted, [{ renamed: 5, dropped: 0, truncated: 0 }]);
  }
});
