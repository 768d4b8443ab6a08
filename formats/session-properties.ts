// What a `${name}` of format TEMPLATE stands for, looked up in this order:
//   1. `WebhookEventType`: LOGOUT, UPGRADE, DESTROY, MAX_TIMEOUT or IDLE_TIMEOUT, from the action type.
//   2. A PingAM default session property the canonical event carries (the reverse of the
//      am-webhook source's mapping in src/pingam-session.ts, so an AM logout received and sent on
//      keeps its values).
//   3. A dotted path in the (redacted) event: `actors.user.name`, `resources.0.id`.
//   4. A field of the event's `_original` body (what an IdP sent: AM's JSON or form fields), so
//      custom session properties and the rest of PingAM's list (`Locale`, `AuthLevel`, …) work too.
// Host and HostName are never taken from `_original`: they carry the client's IP address, which
// leaves only when the subscription exposes it (the redacted event then has source.ipAddress).
import type { ActivityEvent } from '../src/event/activity-event.js';
import { amDefaultFieldMap, amEventTypes } from '../src/event/pingam-session.js';

/** PingAM session property → where the canonical event keeps it (first present wins). */
// A Map: a placeholder named `constructor` or `__proto__` must find nothing.
const sessionProperties = new Map<string, readonly string[]>([
  // The reverse of the am-webhook source's mapping…
  ...Object.entries(amDefaultFieldMap).filter(([name]) => name !== 'WebhookEventType').map(([name, path]): [string, string[]] => [name, [path]]),
  // …and the properties that source does not map, from where the same facts sit.
  ['Principals', ['actors.user.name']],
  ['UserToken', ['actors.user.name']],
  ['HostName', ['source.hostName', 'source.ipAddress']],
]);

const ipBearing = new Set(['Host', 'HostName']);

/** Action type → WebhookEventType: the reverse of the source's table. */
const eventTypeOf = new Map(Object.entries(amEventTypes).map(([webhookType, actionType]) => [actionType, webhookType]));

/** Action type → WebhookEventType; PingOne's SESSION.DELETED and other IdPs' logouts (KEYCLOAK.ACCESS.LOGOUT) are LOGOUT. */
export function webhookEventType(actionType: string): string | undefined {
  return eventTypeOf.get(actionType) ?? (actionType === 'SESSION.DELETED' || actionType.endsWith('.LOGOUT') ? 'LOGOUT' : undefined);
}

/** The value at a dotted path (`resources.0.id`), or undefined. */
export function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

const present = (value: unknown) => value !== undefined && value !== null && value !== '';

/** The fields of `_original`: a JSON object's top-level members, or form fields. */
function originalFields(original: unknown): Record<string, unknown> | undefined {
  if (typeof original === 'object' && original !== null && !Array.isArray(original)) return original as Record<string, unknown>;
  if (typeof original !== 'string') return undefined;
  const text = original.trim();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (!/^[^=&\s]+=/.test(text)) return undefined;
  return Object.fromEntries(new URLSearchParams(text));
}

/** A lookup for one event's placeholders (the `_original` body is parsed at most once). */
export function eventLookup(event: ActivityEvent): (name: string) => unknown {
  let original: Record<string, unknown> | undefined | null = null;
  return (name) => {
    if (name === 'WebhookEventType') return webhookEventType(event.action.type) ?? fromOriginal(name);
    for (const path of sessionProperties.get(name) ?? []) {
      const value = valueAt(event, path);
      if (present(value)) return value;
    }
    const value = valueAt(event, name);
    if (present(value) || ipBearing.has(name)) return value;
    return fromOriginal(name);
  };

  function fromOriginal(name: string): unknown {
    if (original === null) original = originalFields(event._original);
    return original !== undefined && Object.hasOwn(original, name) ? original[name] : undefined;
  }
}
