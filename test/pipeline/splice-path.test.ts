// The fast path (items spliced from the stored bytes) must give what the object path gives:
// byte for byte for compact input, the same JSON value for any other spacing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { activityFormatter } from '../../formats/activity.js';
import { splunkFormatter } from '../../formats/splunk.js';
import { recordsOf } from '../../src/event/stored-record.js';
import type { FormatContext } from '../../src/contracts/formatter.js';
import { compileRedactor, redactRawEvent } from '../../src/pipeline/redact.js';

const context: FormatContext = { environment: 'prod', encoding: 'ND_JSON', splunk: { host: 'gw', index: 'audit' }, newRelic: { api: 'logs' } };

const source = fc.oneof(
  fc.constant(undefined),
  fc.record({ ipAddress: fc.constant('203.0.113.7'), userAgent: fc.constant('curl/8'), region: fc.string() }, { requiredKeys: [] }),
  fc.constant('not an object'),
);
const event = fc.tuple(fc.string({ minLength: 1 }), source, fc.nat(3), fc.jsonValue({ maxDepth: 3 })).map(([id, src, place, extra]) => {
  const members: [string, unknown][] = [['id', id], ['recordedAt', '2026-11-23T10:15:00.123Z'], ['action', { type: 'USER.CREATED' }], ['extra', extra]];
  if (src !== undefined) members.splice(Math.min(place, members.length), 0, ['source', src]);
  return Object.fromEntries(members);
});

function compare(events: Record<string, unknown>[], payload: Buffer, exact: boolean) {
  const records = recordsOf({ firstSeq: 1, count: events.length, environment: 'prod', receivedAt: 0, format: 'array', payload });
  for (const options of [{ ipAddressExposed: false, userAgentExposed: false }, { ipAddressExposed: true, userAgentExposed: false }, { ipAddressExposed: true, userAgentExposed: true }]) {
    const redact = compileRedactor(options);
    for (const [index, record] of records.entries()) {
      const raw = record.raw!;
      assert.equal(raw.spliceable, true);
      for (const formatter of [activityFormatter, splunkFormatter]) {
        const spliced = Buffer.concat(formatter.formatBytes!(redactRawEvent(raw, options), raw.recordedAt, context)).toString('utf8');
        const formatted = JSON.stringify(formatter.format(redact(events[index] as never), context));
        if (exact) assert.equal(spliced, formatted);
        else assert.deepEqual(JSON.parse(spliced), JSON.parse(formatted));
      }
    }
  }
}

test('compact bodies: the spliced items equal the formatted ones byte for byte', () => {
  fc.assert(fc.property(fc.array(event, { minLength: 1, maxLength: 5 }), (events) => compare(events, Buffer.from(JSON.stringify(events)), true)), { numRuns: 500 });
});

test('spaced bodies: the same JSON values', () => {
  fc.assert(fc.property(fc.array(event, { minLength: 1, maxLength: 5 }), (events) => {
    // Spaces around every structural character, on one line (a pretty body is not spliceable).
    const spaced = JSON.stringify(events, null, 1).replace(/\n\s*/g, ' ');
    compare(events, Buffer.from(spaced), false);
  }), { numRuns: 300 });
});

test('an event split over lines or with two source members takes the object path', () => {
  const pretty = Buffer.from(JSON.stringify([{ id: 'p', recordedAt: '2026-11-23T10:15:00Z', action: { type: 'X' } }], null, 2));
  assert.equal(recordsOf({ firstSeq: 1, count: 1, environment: 'prod', receivedAt: 0, format: 'array', payload: pretty })[0]!.raw!.spliceable, false);
  const twice = Buffer.from('[{"id":"d","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"source":{"ipAddress":"1.2.3.4"},"source":{"userAgent":"x"}}]');
  const [record] = recordsOf({ firstSeq: 1, count: 1, environment: 'prod', receivedAt: 0, format: 'array', payload: twice });
  assert.equal(record!.raw!.spliceable, false);
  assert.deepEqual(record!.event.source, { userAgent: 'x' });
});

test('a source with nested values, strings holding braces and commas, and an escaped key gives the object path\'s value', () => {
  const body = '[{"id":"n","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"source":{ "geo" : {"a":[1,"},{\\"]"]} , "ip\\u0041ddress":"1.2.3.4","userAgent":"x,}"},"after":1},'
    + '{"id":"m","recordedAt":"2026-11-23T10:15:00Z","source":{"userAgent":"u","note":"a\\"b,c}"},"action":{"type":"X"}}]';
  compare(JSON.parse(body) as Record<string, unknown>[], Buffer.from(body), false);
});
