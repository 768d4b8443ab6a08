// source.ipAddress and source.userAgent leave only when the subscription exposes them (SPEC §4).
// The stored event is shared by every reader, so it is never modified: a redacted copy is returned.
import type { Subscription } from '../config/gateway-config.js';
import type { ActivityEvent } from '../event.js';
import type { RawEvent } from '../journal/stored-record.js';

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
 * The event's own JSON text with the same redaction, spliced from its stored bytes: the source
 * member is rewritten or cut out, everything else is left byte for byte.
 */
export function redactRawEvent(raw: RawEvent, options: Exposure): string {
  // Subscriptions with the same exposure share the text (fan-out does the work once per event).
  const key = (options.ipAddressExposed ? 1 : 0) | (options.userAgentExposed ? 2 : 0);
  const cache = (raw.redacted ??= []);
  return (cache[key] ??= spliceRedacted(raw, options));
}

function spliceRedacted(raw: RawEvent, options: Exposure): string {
  const { bytes, start, end, source } = raw;
  const removed = removedKeys(options);
  if (source === undefined || removed.length === 0) return bytes.toString('utf8', start, end);
  const value = JSON.parse(bytes.toString('utf8', source.valueStart, source.valueEnd)) as unknown;
  if (!isSection(value)) return bytes.toString('utf8', start, end);
  const redacted = redactSource(value, removed);
  if (redacted === value) return bytes.toString('utf8', start, end);
  if (redacted !== undefined) {
    return bytes.toString('utf8', start, source.valueStart) + JSON.stringify(redacted) + bytes.toString('utf8', source.valueEnd, end);
  }
  // Cut the whole member and one comma next to it.
  let after = source.valueEnd;
  while (isSpace(bytes[after])) after++;
  if (bytes[after] === 0x2c) return bytes.toString('utf8', start, source.keyStart) + bytes.toString('utf8', after + 1, end);
  let before = source.keyStart - 1;
  while (isSpace(bytes[before])) before--;
  // `before` is the comma ahead of the member, or the opening brace when source is the only member.
  return bytes[before] === 0x2c ? bytes.toString('utf8', start, before) + bytes.toString('utf8', source.valueEnd, end) : bytes.toString('utf8', start, source.keyStart) + bytes.toString('utf8', source.valueEnd, end);
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
