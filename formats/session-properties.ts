// What a `${name}` of format TEMPLATE stands for, looked up in this order:
//   1. `WebhookEventType`: LOGOUT, UPGRADE, DESTROY, MAX_TIMEOUT or IDLE_TIMEOUT, from the action type.
//   2. A PingAM default session property the canonical event carries (the table below: the reverse
//      of the am-webhook source's mapping, so an AM logout received and sent on keeps its values).
//   3. A dotted path in the (redacted) event: `actors.user.name`, `resources.0.id`.
//   4. A field of the event's `_original` body (what an IdP sent: AM's JSON or form fields), so
//      custom session properties and the rest of PingAM's list (`Locale`, `AuthLevel`, …) work too.
// Host and HostName are never taken from `_original`: they carry the client's IP address, which
// leaves only when the subscription exposes it (the redacted event then has source.ipAddress).
import type { ActivityEvent } from '../src/event.js';

/** PingAM session property → where the canonical event keeps it (first present wins). */
const sessionProperties: Record<string, readonly string[]> = {
  UserId: ['actors.user.id'],
  Principal: ['actors.user.name'],
  Principals: ['actors.user.name'],
  UserToken: ['actors.user.name'],
  AMCtxId: ['session.id'],
  authInstant: ['session.authInstant'],
  Host: ['source.ipAddress'],
  HostName: ['source.hostName', 'source.ipAddress'],
  Organization: ['organization.name'],
  Service: ['session.service'],
};

const ipBearing = new Set(['Host', 'HostName']);

/** Action type → WebhookEventType. */
export function webhookEventType(actionType: string): string | undefined {
  switch (actionType) {
    case 'SESSION.UPGRADE':
      return 'UPGRADE';
    case 'SESSION.DESTROYED':
      return 'DESTROY';
    case 'SESSION.MAX_TIMEOUT':
      return 'MAX_TIMEOUT';
    case 'SESSION.IDLE_TIMEOUT':
      return 'IDLE_TIMEOUT';
    case 'SESSION.LOGOUT':
    case 'SESSION.DELETED':
      return 'LOGOUT';
    default:
      // KEYCLOAK.ACCESS.LOGOUT and other IdPs' logouts.
      return actionType.endsWith('.LOGOUT') ? 'LOGOUT' : undefined;
  }
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
    for (const path of sessionProperties[name] ?? []) {
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
