// Write-only secrets of a subscription object (which fields: config/secret-fields.ts). Responses
// never carry them; a PUT that leaves one out (or sends `null` for a header) keeps the stored value.
import { jsonPointer } from '../config/config-path.js';
import { isSecretHeader, secretMembers } from '../config/secret-fields.js';

type Headers = Record<string, string | null>;

function headersOf(object: Record<string, unknown>): Headers | undefined {
  const endpoint = object.httpEndpoint as { headers?: Headers } | undefined;
  return endpoint?.headers;
}

/** A copy fit for a response: passwords and secrets left out, secret header values as null. */
export function withoutSecrets(object: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(object);
  for (const [name, member] of secretMembers) {
    const holder = copy[name] as Record<string, unknown> | undefined;
    if (typeof holder === 'object' && holder !== null) delete holder[member];
  }
  const headers = headersOf(copy);
  if (headers !== undefined) for (const name of Object.keys(headers)) if (isSecretHeader(name, headers[name]!)) headers[name] = null;
  return copy;
}

/** Scheme, host and port of a URL (undefined when it is not a string or does not parse). */
function originOf(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const url = new URL(text.replace(/\$\{[^}]*\}/g, 'x'));
    return `${url.protocol}//${url.host}`;
  } catch {
    return undefined;
  }
}

/** Where a secret member is sent: the OAuth2 client secret to the token URL, the others to the destination. */
function whereSent(object: Record<string, unknown> | undefined, holder: string): string | undefined {
  if (holder === 'oauth2') return originOf((object?.oauth2 as { tokenUrl?: unknown } | undefined)?.tokenUrl);
  const endpoint = (object?.httpEndpoint ?? object?.connectionDetails) as { url?: unknown } | undefined;
  return originOf(endpoint?.url);
}

/**
 * `next` with the secrets it left out taken from `stored`. Problems name a null header with no
 * stored value to keep, and every kept secret when the destination (scheme, host or port) changed:
 * a stored credential is never sent to a new host.
 */
export function keepSecrets(next: Record<string, unknown>, stored: Record<string, unknown> | undefined): { value: Record<string, unknown>; problems: { pointer: string; message: string }[] } {
  const value = structuredClone(next);
  const problems: { pointer: string; message: string }[] = [];
  const keep = (pointer: string, apply: () => void, holder = 'httpEndpoint') => {
    if (stored !== undefined && whereSent(value, holder) !== whereSent(stored, holder)) problems.push({ pointer, message: `must be sent again: the ${holder === 'oauth2' ? 'token URL' : 'destination'}'s scheme, host or port changed, and a stored secret is never sent to a new destination` });
    else apply();
  };
  for (const [name, member] of secretMembers) {
    const holder = value[name] as Record<string, unknown> | undefined;
    const kept = (stored?.[name] as Record<string, unknown> | undefined)?.[member];
    if (typeof holder === 'object' && holder !== null && holder[member] === undefined && kept !== undefined) keep(`/${name}/${member}`, () => (holder[member] = kept), name);
  }
  const headers = headersOf(value);
  const storedHeaders = stored === undefined ? undefined : headersOf(stored);
  if (headers !== undefined && headers !== null && typeof headers === 'object') {
    for (const name of Object.keys(headers)) {
      if (headers[name] !== null) continue;
      const kept = storedHeaders?.[name];
      const pointer = jsonPointer(['httpEndpoint', 'headers', name]);
      if (typeof kept === 'string') keep(pointer, () => (headers[name] = kept));
      else problems.push({ pointer, message: 'is null, but there is no stored value to keep; give the value' });
    }
  }
  return { value, problems };
}

/** The dotted names of the fields that differ (values are never reported: they may be secrets). */
export function changedFields(before: unknown, after: unknown, prefix = ''): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isMap(before) || !isMap(after)) return [prefix === '' ? '(all)' : prefix];
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].sort().flatMap((name) => changedFields(before[name], after[name], prefix === '' ? name : `${prefix}.${name}`));
}
