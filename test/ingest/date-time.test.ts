// recordedAt is checked against the calendar: the canonical UTC form takes a fast path that reads
// digits, every other form a regular expression and Date.parse. Both must accept exactly the
// instants that exist, which Date.UTC (an independent oracle) tells.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { dateTimeProblem, isCanonicalUtc } from '../../src/event/validate-event.js';

const two = (n: number) => String(n).padStart(2, '0');

/** Whether the fields name an instant that exists (no rollover through Date.UTC). */
function exists(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
}

test('canonical UTC times are accepted exactly when the instant exists, with and without milliseconds', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.boolean(), (year, month, day, hour, minute, second, millis) => {
      const text = `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}${millis ? '.123' : ''}Z`;
      assert.equal(dateTimeProblem(text) === undefined, exists(year, month, day, hour, minute, second), text);
      // The same instant written another way takes the other path and must agree.
      const offset = `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}+00:00`;
      assert.equal(dateTimeProblem(offset) === undefined, dateTimeProblem(text) === undefined, offset);
    }),
    { numRuns: 5000 },
  );
  assert.equal(dateTimeProblem('2026-02-30T10:15:00Z'), 'names a day that does not exist (month 2, day 30)');
  assert.equal(dateTimeProblem('2024-02-29T23:59:59.999Z'), undefined);
  assert.match(dateTimeProblem('2026-1-30T10:15:00Z')!, /ISO-8601/);
  assert.match(dateTimeProblem('2026-01-30T10:15:0xZ')!, /ISO-8601/);
});

test('the check on the bytes (ingest reads recordedAt in place) agrees with the calendar, wherever the value sits', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.boolean(), fc.string({ maxLength: 5 }), (year, month, day, hour, minute, second, millis, before) => {
      const text = `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}${millis ? '.123' : ''}Z`;
      const bytes = Buffer.from(`${before}"${text}",`);
      const start = Buffer.byteLength(before) + 1;
      assert.equal(isCanonicalUtc(bytes, start, start + text.length), exists(year, month, day, hour, minute, second), text);
    }),
    { numRuns: 5000 },
  );
  // Year 0 (the oracle's Date.UTC reads it as 1900) is a leap year in the proleptic calendar, as here.
  assert.equal(isCanonicalUtc(Buffer.from('0000-02-29T00:00:00Z'), 0, 20), true);
  for (const other of ['2026-11-23T10:15:00+00:00', '2026-11-23T10:15:00.1234Z', '2026-11-23 10:15:00Z', '2026-11-23T10:15:00z', '2026-11-23T10:15:0xZ', '-026-11-23T10:15:00Z']) assert.equal(isCanonicalUtc(Buffer.from(other), 0, other.length), false, other);
});

test('a character outside ASCII is never read as one of the form (U+015A ends like Z in its low byte)', () => {
  assert.match(dateTimeProblem('2026-11-23T10:15:00\u015a')!, /ISO-8601/);
  assert.match(dateTimeProblem('2026\u012d11-23T10:15:00Z')!, /ISO-8601/);
});
