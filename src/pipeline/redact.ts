// source.ipAddress and source.userAgent leave only when the subscription exposes them (SPEC §4).
// The stored event is shared by every reader, so it is never modified: a redacted copy is returned.
import type { Subscription } from '../config/gateway-config.js';
import type { ActivityEvent } from '../event.js';

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
