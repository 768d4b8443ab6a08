// source.ipAddress and source.userAgent leave only when the subscription exposes them (SPEC §4).
// The stored event is shared by every reader, so it is never modified: a redacted copy is returned.
import type { Subscription } from '../config/gateway-config.js';
import type { ActivityEvent } from '../event/activity-event.js';
import type { RawEvent } from '../event/activity-event.js';

export type Redactor = (event: ActivityEvent) => ActivityEvent;

type Exposure = Pick<Subscription['filterOptions'], 'ipAddressExposed' | 'userAgentExposed'>;

function removedKeys(options: Exposure): string[] {
  return [...(options.ipAddressExposed ? [] : ['ipAddress']), ...(options.userAgentExposed ? [] : ['userAgent'])];
}

/** The source section without the removed keys: the same object when none is there, undefined when nothing is left. */
function redactSource(source: object, removed: readonly string[]): object | undefined {
  if (!removed.some((key) => Object.hasOwn(source, key))) return source;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) if (!removed.includes(key)) Object.defineProperty(kept, key, { value, enumerable: true, writable: true, configurable: true });
  // An emptied source section is left out, as PingOne does when nothing is exposed.
  return Object.keys(kept).length === 0 ? undefined : kept;
}

const isSection = (value: unknown): value is object => typeof value === 'object' && value !== null && !Array.isArray(value);

export function compileRedactor(options: Exposure): Redactor {
  const removed = removedKeys(options);
  if (removed.length === 0) return (event) => event;
  return (event) => {
    const source = event.source;
    if (!isSection(source)) return event;
    const redacted = redactSource(source, removed);
    if (redacted === source) return event;
    const copy: ActivityEvent = { ...event };
    if (redacted === undefined) delete copy.source;
    else copy.source = redacted;
    return copy;
  };
}

/**
 * The event's own JSON bytes with the same redaction, spliced from its stored bytes without
 * decoding them: views of the stored bytes around a rewritten or cut source member. No object per
 * member and no key string: this runs for every event.
 */
export function redactRawEvent(raw: RawEvent, options: Exposure): readonly Buffer[] {
  // Subscriptions with the same exposure share the parts (fan-out does the work once per event).
  const key = (options.ipAddressExposed ? 1 : 0) | (options.userAgentExposed ? 2 : 0);
  const cache = (raw.redacted ??= []);
  return (cache[key] ??= spliceRedacted(raw, key));
}

/** The removed keys per exposure (bit 1: IP exposed, bit 2: user agent exposed), as text and as bytes. */
const removedByExposure = [0, 1, 2, 3].map((key) => {
  const names = removedKeys({ ipAddressExposed: (key & 1) !== 0, userAgentExposed: (key & 2) !== 0 });
  return { names, bytes: names.map((name) => Buffer.from(name)) };
});

function spliceRedacted(raw: RawEvent, exposure: number): readonly Buffer[] {
  const { bytes, start, end, source } = raw;
  const removed = removedByExposure[exposure]!;
  if (source === undefined || removed.names.length === 0) return wholeEvent(raw);
  const members = objectMembers(bytes, source.valueStart, source.valueEnd, removed.bytes);
  if (members < 0) {
    // Not an object, or a key written with escapes: JSON.parse decides what the key is.
    const value = JSON.parse(bytes.toString('utf8', source.valueStart, source.valueEnd)) as unknown;
    if (!isSection(value)) return wholeEvent(raw);
    const redacted = redactSource(value, removed.names);
    if (redacted === value) return wholeEvent(raw);
    if (redacted !== undefined) return [bytes.subarray(start, source.valueStart), Buffer.from(JSON.stringify(redacted)), bytes.subarray(source.valueEnd, end)];
    return cutSource(raw);
  }
  let kept = 0;
  for (let m = 0; m < members; m++) if (memberRanges[3 * m + 2] === 0) kept++;
  if (kept === members) return wholeEvent(raw);
  if (kept === 0) return cutSource(raw);
  // The kept members' own bytes, between new braces: views, not copies (a copy per event was
  // tried: a buffer outside the heap per event instead of a few small objects, and no faster).
  const parts = [bytes.subarray(start, source.valueStart), openBrace];
  let first = true;
  for (let m = 0; m < members; m++) {
    if (memberRanges[3 * m + 2] === 1) continue;
    if (!first) parts.push(comma);
    first = false;
    parts.push(bytes.subarray(memberRanges[3 * m], memberRanges[3 * m + 1]));
  }
  parts.push(closeBrace, bytes.subarray(source.valueEnd, end));
  return parts;
}

const openBrace = Buffer.from('{');
const closeBrace = Buffer.from('}');
const comma = Buffer.from(',');

function wholeEvent(raw: RawEvent): readonly Buffer[] {
  return [raw.bytes.subarray(raw.start, raw.end)];
}

/** The event without its source member. */
function cutSource(raw: RawEvent): readonly Buffer[] {
  const { bytes, start, end } = raw;
  const source = raw.source!;
  // Cut the whole member and one comma next to it.
  let after = source.valueEnd;
  while (isSpace(bytes[after])) after++;
  if (bytes[after] === 0x2c) return [bytes.subarray(start, source.keyStart), bytes.subarray(after + 1, end)];
  let before = source.keyStart - 1;
  while (isSpace(bytes[before])) before--;
  // `before` is the comma ahead of the member, or the opening brace when source is the only member.
  return bytes[before] === 0x2c ? [bytes.subarray(start, before), bytes.subarray(source.valueEnd, end)] : [bytes.subarray(start, source.keyStart), bytes.subarray(source.valueEnd, end)];
}

/** Scratch for objectMembers: per member its `"key":value` byte range and whether it is removed (1). */
let memberRanges = new Int32Array(3 * 16);

/**
 * The members of the JSON object at bytes[from, to) (valid JSON: the journal stored only what
 * ingest validated), written to memberRanges; returns how many, or -1 when it is not an object
 * or a key holds an escape.
 */
function objectMembers(bytes: Buffer, from: number, to: number, removed: readonly Buffer[]): number {
  let i = from;
  while (i < to && isSpace(bytes[i])) i++;
  if (bytes[i] !== 0x7b) return -1;
  i++;
  let count = 0;
  for (;;) {
    while (i < to && isSpace(bytes[i])) i++;
    if (bytes[i] === 0x2c) {
      i++;
      while (i < to && isSpace(bytes[i])) i++;
    }
    if (i >= to || bytes[i] === 0x7d) return count;
    const memberStart = i;
    const keyStart = ++i;
    while (bytes[i] !== 0x22) {
      if (bytes[i] === 0x5c) return -1;
      i++;
    }
    let isRemoved = false;
    for (const key of removed) if (key.length === i - keyStart && holds(bytes, keyStart, key)) isRemoved = true;
    i++;
    while (i < to && isSpace(bytes[i])) i++;
    i++; // the colon
    // The value runs to the comma or brace that closes it at this depth; strings may hold either.
    let depth = 0;
    for (; i < to; i++) {
      const c = bytes[i];
      if (c === 0x22) {
        for (i++; bytes[i] !== 0x22; i++) if (bytes[i] === 0x5c) i++;
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) break;
        depth--;
      } else if (c === 0x2c && depth === 0) break;
    }
    let memberEnd = i;
    while (isSpace(bytes[memberEnd - 1])) memberEnd--;
    if (3 * count + 3 > memberRanges.length) {
      const larger = new Int32Array(memberRanges.length * 2);
      larger.set(memberRanges);
      memberRanges = larger;
    }
    memberRanges[3 * count] = memberStart;
    memberRanges[3 * count + 1] = memberEnd;
    memberRanges[3 * count + 2] = isRemoved ? 1 : 0;
    count++;
  }
}

/** Whether `bytes` holds `key` at `at` (a loop: keys are a few bytes, a native compare costs more to call). */
function holds(bytes: Buffer, at: number, key: Buffer): boolean {
  for (let k = 0; k < key.length; k++) if (bytes[at + k] !== key[k]) return false;
  return true;
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
