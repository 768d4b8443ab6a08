// New Relic's attribute limits: at most 255 attributes, names of at most 255 characters, string
// values cut at 4094 (Log API) or 4096 (Event API) characters.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { newRelicFormatter } from '../../formats/newrelic.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import type { FormatContext } from '../../src/contracts/formatter.js';

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

/** Random event members from a seeded generator: nested objects and arrays of booleans, numbers, nulls and strings, under `keys`. */
function randomTrees(seed: number, keys: readonly string[]): () => object {
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const leaf = (): unknown => [() => random() > 0.5, () => Math.floor(random() * 1e6) / 100, () => null, () => 'x'.repeat(Math.floor(random() * 20)), () => '\u00e9\n"\\'][Math.floor(random() * 5)]!();
  const tree = (depth: number): unknown => {
    if (depth > 3 || random() < 0.3) return leaf();
    if (random() < 0.3) return Array.from({ length: Math.floor(random() * 4) }, () => tree(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 6) }, () => [keys[Math.floor(random() * keys.length)]!, tree(depth + 1)]));
  };
  return () => tree(0) as object;
}

/** The real PingOne activity payloads (test/fixtures/idp). */
function pingOneFixtures(): ActivityEvent[] {
  return ['pingone-activity-user-access-allowed.elastic.json', 'pingone-activity-application-updated.elastic.json'].flatMap((name) => {
    const parsed = JSON.parse(readFileSync(new URL(`../../../test/fixtures/idp/${name}`, import.meta.url), 'utf8')) as ActivityEvent | ActivityEvent[];
    return Array.isArray(parsed) ? parsed : [parsed];
  });
}

// formatText writes the item as text instead of building it as an object: it must give exactly
// JSON.stringify(format(…)) and count the same renames, drops and cuts, on the real PingOne
// payloads, on the edge cases above and on events generated at random.
test('formatText equals JSON.stringify(format(…)) in every form, with the same counts: real payloads, edge cases, random events', () => {
  const fixtures = pingOneFixtures();
  const edges: ActivityEvent[] = [
    wide,
    // Names an object orders first (array indexes), a name an earlier key already produced, the gateway's own names, escapes.
    JSON.parse('{"id":"e","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X","description":"d \\"q\\" \\u2028"},"7":"seven","0":{"a":1},"4294967295":"not an index","01":"not an index","a.b":1,"a":{"b":2,"c":[true,false,null,{"d":"é😀"}]},"timestamp":"t","message":"m","eventType":"e","event.a.b":3,"__proto__":{"x":1},"n":-0.5e-7,"big":12345678901234567890}') as ActivityEvent,
    { id: 'empty', recordedAt: 'not a date', action: { type: 'X', description: '' } },
  ];
  const tree = randomTrees(7, ['a', 'b', 'a.b', '0', '3', 'timestamp', 'event.a', 'message']);
  const generated = Array.from({ length: 300 }, (_, i) => ({ id: `r${i}`, recordedAt: '2026-11-23T10:15:00.123Z', action: { type: 'USER.CREATED' }, ...tree() }));
  for (const ctx of [context('logs'), context('logs', 'ND_JSON'), context('events'), context('events', 'ND_JSON')]) {
    for (const event of [...fixtures, ...edges, ...generated]) {
      const counted = (into: unknown[]) => ({ ...ctx, onAttributes: (adjusted: unknown) => into.push(adjusted) });
      const fromObject: unknown[] = [];
      const fromText: unknown[] = [];
      const expected = JSON.stringify(newRelicFormatter.format(event, counted(fromObject)));
      assert.equal(newRelicFormatter.formatText!(event, counted(fromText)), expected, `event ${event.id}, ${ctx.newRelic.api} ${ctx.encoding}`);
      assert.deepEqual(fromText, fromObject);
    }
  }
});

// formatBytes walks the stored bytes instead of the parsed event: the same item, byte for byte,
// whether the walk writes it or hands it to the parsed path (escaped or repeated keys, dotted or
// numeric keys, the gateway's own names, values and names past the limits, too many leaves).
test('formatBytes equals JSON.stringify(format(JSON.parse(bytes))) in every form: real payloads, edge cases, raw escapes and repeated keys, random events, spaced JSON', () => {
  const fixtures = pingOneFixtures();
  const texts = [
    ...fixtures.map((event) => JSON.stringify(event)),
    JSON.stringify(wide),
    // As a client may send them: escapes the parser decodes, a repeated key, numbers in every spelling.
    '{"id":"raw","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"USER.\\u0043REATED","description":"said \\"hi\\"\\/ \\u00e9"},"n":[0,-0,1.50,1e3,-12,123456789012345678,0.1],"dup":1,"x":{"k":true,"k":false},"dup":2}',
    '{"id":"esc-key","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"a\\u0062":1}',
    '{"id":"empty-key","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"":{"x":1}}',
    '{"id":"nested-number-key","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"o":{"b":1,"2":2}}',
    '{"id":"gw","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"gateway":{"environment":"spoof"},"eventType":"spoof"}',
    '{"id":"long","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X","description":""},"v":"' + 'é'.repeat(3000) + '","w":"' + 'e'.repeat(4095) + '"}',
    `{"id":"deep","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"d":${'['.repeat(40)}1${']'.repeat(40)}}`,
    '{"id":"nulls","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X","description":null},"z":null,"e":{},"f":[],"g":[null,{}]}',
  ];
  const tree = randomTrees(11, ['a', 'b', 'c', 'id', 'source', 'message', 'event']);
  for (let i = 0; i < 300; i++) texts.push(JSON.stringify({ id: `r${i}`, recordedAt: '2026-11-23T10:15:00.123Z', action: { type: 'USER.CREATED', ...(i % 3 === 0 ? { description: `d${i}` } : {}) }, ...tree() }));
  // The same events with spaces between the tokens (still one line).
  const spaced = texts.slice(0, 50).map((text) => JSON.stringify(JSON.parse(text), null, '\t').replace(/\n\t*/g, ' '));
  for (const ctx of [context('logs'), context('logs', 'ND_JSON'), context('events'), context('events', 'ND_JSON')]) {
    for (const text of [...texts, ...spaced]) {
      const event = JSON.parse(text) as ActivityEvent;
      const fromObject: unknown[] = [];
      const fromBytes: unknown[] = [];
      const expected = JSON.stringify(newRelicFormatter.format(event, { ...ctx, onAttributes: (adjusted) => fromObject.push(adjusted) }));
      const parts = newRelicFormatter.formatBytes!([Buffer.from(text)], event.recordedAt, { ...ctx, onAttributes: (adjusted) => fromBytes.push(adjusted) });
      assert.equal(Buffer.concat(parts).toString('utf8'), expected, `event ${event.id}, ${ctx.newRelic.api} ${ctx.encoding}`);
      assert.deepEqual(fromBytes, fromObject);
    }
  }
});
