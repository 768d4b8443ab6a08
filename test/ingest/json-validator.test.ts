// The allocation-free validator must agree with JSON.parse on every input: whatever it accepts is
// stored and must parse later; whatever it refuses, JSON.parse refuses too.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { maxReportedProblems } from '../../src/ingest/ingest-error.js';
import { scanJson } from '../../src/event/json-validator.js';
import { maxJsonDepth, nestsDeeperThan, validateEvent } from '../../src/event/validate-event.js';

/** What JSON.parse plus the object validators say about `text`. */
function reference(text: string) {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'syntax' as const };
  }
  if (nestsDeeperThan(value, maxJsonDepth)) return { kind: 'too-deep' as const };
  const events = Array.isArray(value) ? (value as unknown[]) : [value];
  const problems = [];
  let invalid = 0;
  for (let index = 0; index < events.length; index++) {
    const found = validateEvent(events[index], { index });
    if (found.length > 0) invalid++;
    problems.push(...found);
  }
  return { kind: 'ok' as const, format: Array.isArray(value) ? 'array' : 'object', count: events.length, invalid, problems: problems.slice(0, maxReportedProblems) };
}

/** Scanned twice: at a 4-byte boundary (strings passed four bytes at a time) and off one (byte by byte); both must agree. */
function scan(text: string) {
  const bytes = Buffer.from(text, 'utf8');
  const aligned = Buffer.from(new ArrayBuffer(bytes.length + 8), 0, bytes.length);
  const misaligned = Buffer.from(aligned.buffer, 1, bytes.length);
  bytes.copy(aligned);
  const result = scanJson(aligned, maxJsonDepth, maxReportedProblems);
  bytes.copy(misaligned);
  assert.deepEqual(scanJson(misaligned, maxJsonDepth, maxReportedProblems), result);
  return result.kind === 'syntax' ? { kind: 'syntax' as const } : result;
}

const event = fc.record(
  {
    id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant('')),
    recordedAt: fc.oneof(fc.constant('2026-11-23T10:15:00.000Z'), fc.constant('2026-11-23T10:15:00+01:00'), fc.string(), fc.boolean()),
    action: fc.oneof(fc.record({ type: fc.oneof(fc.constantFrom('USER.CREATED', ''), fc.integer()), description: fc.string() }, { requiredKeys: [] }), fc.string(), fc.constant(null), fc.array(fc.integer())),
    extra: fc.jsonValue({ maxDepth: 4 }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(event, fc.array(event, { maxLength: 6 }), fc.jsonValue({ maxDepth: 5 }));
const alphabet = fc.constantFrom(...'{}[]":,\\ \t\n\r0123456789-+.eEtruefalsnl\u0001ab\u00e9'.split(''));

describe('the ingest JSON validator agrees with JSON.parse', () => {
  test('on generated events, arrays of events and arbitrary JSON, compact and indented', () => {
    fc.assert(
      fc.property(body, fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        assert.deepEqual(scan(text), reference(text));
      }),
      { numRuns: 3000 },
    );
  });

  test('on mutated documents: the same verdict, syntax error or not', () => {
    fc.assert(
      fc.property(body, fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), alphabet), { minLength: 1, maxLength: 3 }), (value, edits) => {
        let text = JSON.stringify(value);
        for (const [at, how, char] of edits) {
          const position = text.length === 0 ? 0 : at % text.length;
          if (how === 'insert') text = text.slice(0, position) + char + text.slice(position);
          else if (how === 'delete') text = text.slice(0, position) + text.slice(position + 1);
          else text = text.slice(0, position) + char + text.slice(position + 1);
        }
        if (text.trim() === '') return;
        assert.deepEqual(scan(text), reference(text), text);
      }),
      { numRuns: 20000 },
    );
  });

  for (const [name, text] of [
    ['escaped key names', '{"\\u0069d":"x","recordedAt":"2026-11-23T10:15:00Z","\\u0061ction":{"\\u0074ype":"X"}}'],
    ['escaped values', '{"id":"\\u0000","recordedAt":"2026-11-23T10:15:00\\u005a","action":{"type":"\\n"}}'],
    ['duplicate keys (the last wins)', '{"id":"x","id":5,"recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"action":"no"}'],
    ['a duplicate action without type', '{"id":"x","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"action":{}}'],
    ['type outside action', '{"id":"x","recordedAt":"2026-11-23T10:15:00Z","type":"X","action":{"nested":{"type":"X"}}}'],
    ['a raw control character in a string', '{"id":"a\u0001b"}'],
    ['a lone surrogate escape', '{"id":"\\ud800","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"}}'],
    ['numbers at their edges', '[{"n":-0.0e+00},{"n":1E400},{"n":01}]'],
    ['a trailing comma', '[{"id":"x"},]'],
    ['trailing garbage', '{"id":"x"} x'],
    ['depth 64', `${'['.repeat(64)}${']'.repeat(64)}`],
    ['depth 65', `${'['.repeat(65)}${']'.repeat(65)}`],
    ['an event nested 63 deep', `{"id":"x","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"d":${'['.repeat(62)}${']'.repeat(62)}}`],
  ] as const) {
    test(name, () => assert.deepEqual(scan(text), reference(text)));
  }

  test('a syntax error is located where JSON.parse and the message helper put it', () => {
    const result = scanJson(Buffer.from('[{"id":"x"}\n {"id":"y"}]'), maxJsonDepth, maxReportedProblems);
    assert.deepEqual(result, { kind: 'syntax', offset: 13 });
  });
});
