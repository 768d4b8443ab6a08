// Write-only secrets of a subscription object (which fields: config/secret-fields.ts). Responses
// never carry them; a PUT that leaves one out (or sends `null` for a header) keeps the stored value.
import { jsonPointer } from '../config/config-path.js';
import { isSecretHeader } from '../config/secret-fields.js';

type Headers = Record<string, string | null>;

function headersOf(object: Record<string, unknown>): Headers | undefined {
  const endpoint = object.httpEndpoint as { headers?: Headers } | undefined;
  return endpoint?.headers;
}

/** A copy fit for a response: the password left out, secret header values as null. */
export function withoutSecrets(object: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(object);
  const basicAuth = copy.basicAuth as { password?: string } | undefined;
  if (basicAuth !== undefined) delete basicAuth.password;
  const signing = copy.signing as { secret?: string } | undefined;
  if (signing !== undefined) delete signing.secret;
  const headers = headersOf(copy);
  if (headers !== undefined) for (const name of Object.keys(headers)) if (isSecretHeader(name, headers[name]!)) headers[name] = null;
  return copy;
}

/** Where a subscription sends: scheme, host and port of its URL (undefined when it has none or it does not parse). */
function destinationOrigin(object: Record<string, unknown> | undefined): string | undefined {
  const endpoint = (object?.httpEndpoint ?? object?.connectionDetails) as { url?: unknown } | undefined;
  if (typeof endpoint?.url !== 'string') return undefined;
  try {
    const url = new URL(endpoint.url.replace(/\$\{[^}]*\}/g, 'x'));
    return `${url.protocol}//${url.host}`;
  } catch {
    return undefined;
  }
}

/**
 * `next` with the secrets it left out taken from `stored`. Problems name a null header with no
 * stored value to keep, and every kept secret when the destination (scheme, host or port) changed:
 * a stored credential is never sent to a new host.
 */
export function keepSecrets(next: Record<string, unknown>, stored: Record<string, unknown> | undefined): { value: Record<string, unknown>; problems: { pointer: string; message: string }[] } {
  const value = structuredClone(next);
  const problems: { pointer: string; message: string }[] = [];
  const moved = stored !== undefined && destinationOrigin(value) !== destinationOrigin(stored);
  const keep = (pointer: string, apply: () => void) => {
    if (moved) problems.push({ pointer, message: 'must be sent again: the destination\'s scheme, host or port changed, and a stored secret is never sent to a new destination' });
    else apply();
  };
  const basicAuth = value.basicAuth as { password?: string } | undefined;
  const storedAuth = stored?.basicAuth as { password?: string } | undefined;
  if (basicAuth !== undefined && basicAuth !== null && typeof basicAuth === 'object' && basicAuth.password === undefined && storedAuth?.password !== undefined) keep('/basicAuth/password', () => (basicAuth.password = storedAuth.password));
  const signing = value.signing as { secret?: string } | undefined;
  const storedSigning = stored?.signing as { secret?: string } | undefined;
  if (signing !== undefined && signing !== null && typeof signing === 'object' && signing.secret === undefined && storedSigning?.secret !== undefined) keep('/signing/secret', () => (signing.secret = storedSigning.secret));
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
