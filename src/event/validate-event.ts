// The fields every event must have (SPEC §1): id, recordedAt, action.type. Everything else is
// optional and kept verbatim.
import type { EventProblem } from './event-problem.js';

export const maxJsonDepth = 64;
const isoDateTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/;
const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Why `value` is not a usable recordedAt, or undefined. Date.parse alone is lenient: it reads
 * 2026-02-30 as March 2, so the calendar is checked here.
 */
export function dateTimeProblem(value: string): string | undefined {
  // Nearly every event has the canonical UTC form: its digits are read without a regex or a
  // parse. Anything else, or a date that fails the check, takes the full path below, which words
  // the problem.
  const bytes = Buffer.from(value);
  if (bytes.length === value.length && isCanonicalUtc(bytes, 0, bytes.length)) return undefined;
  const parts = isoDateTime.exec(value);
  if (parts === null || Number.isNaN(Date.parse(value))) return 'must be an ISO-8601 date-time with a zone, for example 2026-11-23T10:15:00.000Z';
  const [year, month, day, hour, minute, second = 0, zoneHours = 0, zoneMinutes = 0] = parts.slice(1).map((part) => (part === undefined ? undefined : Number(part))) as number[];
  return calendarProblem(year!, month!, day!, hour!, minute!, second, zoneHours, zoneMinutes);
}

function calendarProblem(year: number, month: number, day: number, hour: number, minute: number, second: number, zoneHours: number, zoneMinutes: number): string | undefined {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month >= 1 && month <= 12 ? daysInMonth[month - 1]! + (month === 2 && leap ? 1 : 0) : 0;
  if (day < 1 || day > days) return `names a day that does not exist (month ${month}, day ${day})`;
  if (hour > 23 || minute > 59 || second > 59 || zoneHours > 23 || zoneMinutes > 59) return 'names a time that does not exist (hours 0-23, minutes and seconds 0-59)';
  return undefined;
}

/**
 * True when bytes[start, end) is `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.sssZ` naming a
 * real day and time: the form nearly every event has, checked on the bytes without allocating.
 * False sends the caller to dateTimeProblem, which accepts the other forms or words the problem.
 */
export function isCanonicalUtc(bytes: Uint8Array, start: number, end: number): boolean {
  const length = end - start;
  if ((length !== 20 && length !== 24) || bytes[end - 1] !== 0x5a) return false;
  if (bytes[start + 4] !== 0x2d || bytes[start + 7] !== 0x2d || bytes[start + 10] !== 0x54 || bytes[start + 13] !== 0x3a || bytes[start + 16] !== 0x3a) return false;
  if (length === 24 && (bytes[start + 19] !== 0x2e || digitsAt(bytes, start + 20, 3) < 0)) return false;
  const year = digitsAt(bytes, start, 4);
  const month = digitsAt(bytes, start + 5, 2);
  const day = digitsAt(bytes, start + 8, 2);
  const hour = digitsAt(bytes, start + 11, 2);
  const minute = digitsAt(bytes, start + 14, 2);
  const second = digitsAt(bytes, start + 17, 2);
  if ((year | month | day | hour | minute | second) < 0) return false;
  return calendarProblem(year, month, day, hour, minute, second, 0, 0) === undefined;
}

/** The decimal number in bytes[from, from + count), or -1 if any of them is not a digit. */
function digitsAt(bytes: Uint8Array, from: number, count: number): number {
  let number = 0;
  for (let i = from; i < from + count; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    number = number * 10 + digit;
  }
  return number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Problems of one parsed event (empty when valid). */
export function validateEvent(value: unknown, position: { index?: number; line?: number }): EventProblem[] {
  const at = (path: string, message: string): EventProblem => ({ ...position, path, message });
  if (!isObject(value)) return [at('', `must be a JSON object, not ${describe(value)}`)];
  const problems: EventProblem[] = [];
  const id = value.id;
  if (id === undefined) problems.push(at('/id', 'is required'));
  else if (typeof id !== 'string') problems.push(at('/id', `must be a non-empty string, not ${describe(id)}`));
  else if (id === '') problems.push(at('/id', 'must be a non-empty string, not an empty string'));
  else if (id.length > 1024) problems.push(at('/id', 'must be at most 1024 characters'));
  const recordedAt = value.recordedAt;
  if (recordedAt === undefined) problems.push(at('/recordedAt', 'is required'));
  else if (typeof recordedAt !== 'string') problems.push(at('/recordedAt', `must be an ISO-8601 date-time string, not ${describe(recordedAt)}`));
  else {
    const problem = dateTimeProblem(recordedAt);
    if (problem !== undefined) problems.push(at('/recordedAt', problem));
  }
  const action = value.action;
  if (action === undefined) problems.push(at('/action/type', 'is required'));
  else if (!isObject(action)) problems.push(at('/action', `must be an object, not ${describe(action)}`));
  else if (action.type === undefined) problems.push(at('/action/type', 'is required'));
  else if (typeof action.type !== 'string') problems.push(at('/action/type', `must be a non-empty string, not ${describe(action.type)}`));
  else if (action.type === '') problems.push(at('/action/type', 'must be a non-empty string, not an empty string'));
  return problems;
}

function describe(value: unknown): string {
  return article(value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
}

/** `a string`, `an object`, `an array`, `null`: how messages name a JSON kind. */
export function article(kind: string): string {
  if (kind === 'null') return 'null';
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/** True when `value` nests objects and arrays deeper than `max` (the value itself is level 1). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  // Iterative, so a hostile depth cannot exhaust the stack; parallel arrays avoid an object per node.
  const values: unknown[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const current = values.pop() as Record<string, unknown>;
    const depth = depths.pop()!;
    if (depth > max) return true;
    for (const key in current) {
      const child = current[key];
      if (typeof child === 'object' && child !== null) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
