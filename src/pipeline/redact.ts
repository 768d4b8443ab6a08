// source.ipAddress and source.userAgent leave only when the subscription exposes them (SPEC §4).
// The stored event is shared by every reader, so it is never modified: a redacted copy is returned.
import type { Subscription } from '../config/gateway-config.js';
import type { ActivityEvent } from '../event.js';
import type { RawEvent } from '../journal/stored-record.js';

export type Redactor = (event: ActivityEvent) => ActivityEvent;

export function compileRedactor(options: Pick<Subscription['filterOptions'], 'ipAddressExposed' | 'userAgentExposed'>): Redactor {
  const removed = [...(options.ipAddressExposed ? [] : ['ipAddress']), ...(options.userAgentExposed ? [] : ['userAgent'])];
  if (removed.length === 0) return (event) => event;
  return (event) => {
    const source = event.source;
    if (typeof source !== 'object' || source === null || Array.isArray(source)) return event;
    if (!removed.some((key) => Object.hasOwn(source, key))) return event;
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(source)) if (!removed.includes(key)) Object.defineProperty(kept, key, { value, enumerable: true, writable: true, configurable: true });
    const copy: ActivityEvent = { ...event };
    // An emptied source section is left out, as PingOne does when nothing is exposed.
    if (Object.keys(kept).length === 0) delete copy.source;
    else copy.source = kept;
    return copy;
  };
}

/**
 * The event's own JSON text with the same redaction, spliced from its stored bytes: the source
 * member is rewritten or cut out, everything else is left byte for byte.
 */
export function redactRawEvent(raw: RawEvent, options: Pick<Subscription['filterOptions'], 'ipAddressExposed' | 'userAgentExposed'>): string {
  // Subscriptions with the same exposure share the text (fan-out does the work once per event).
  const key = (options.ipAddressExposed ? 1 : 0) | (options.userAgentExposed ? 2 : 0);
  const cache = (raw.redacted ??= []);
  return (cache[key] ??= spliceRedacted(raw, options));
}

function spliceRedacted(raw: RawEvent, options: Pick<Subscription['filterOptions'], 'ipAddressExposed' | 'userAgentExposed'>): string {
  const { bytes, start, end, source } = raw;
  if (source === undefined || (options.ipAddressExposed && options.userAgentExposed)) return bytes.toString('utf8', start, end);
  const value = JSON.parse(bytes.toString('utf8', source.valueStart, source.valueEnd)) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bytes.toString('utf8', start, end);
  const redacted = compileRedactor(options)({ id: '', recordedAt: '', action: { type: '' }, source: value });
  if (redacted.source === value) return bytes.toString('utf8', start, end);
  if (redacted.source !== undefined) {
    return bytes.toString('utf8', start, source.valueStart) + JSON.stringify(redacted.source) + bytes.toString('utf8', source.valueEnd, end);
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
