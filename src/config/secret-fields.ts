// Which fields of a subscription are secrets: a basic-auth password, a signing secret, an OAuth2
// client secret, and header
// values that are credentials (by name) or hold a `${env:…}` / `${file:…}` reference. The API
// never returns them; logs and kept answers mask their values.

import { holdsReference } from './references.js';

const credentialHeader = /^(authorization|proxy-authorization|cookie|api-key|x-api-key|x-license-key|x-insert-key)$|token|secret|passw|key|signature|auth/i;

export function isSecretHeader(name: string, value: string | null): boolean {
  // A TEMPLATE placeholder such as `${username}` is not a secret; a reference of the file's may be.
  return credentialHeader.test(name) || (typeof value === 'string' && holdsReference(value));
}

/** A subscription's secret members besides its headers, as [object, member]: write-only in the API, sealed at rest. */
export const secretMembers = [['basicAuth', 'password'], ['signing', 'secret'], ['oauth2', 'clientSecret']] as const;

interface WithSecrets {
  basicAuth?: { password?: string };
  signing?: { secret?: string };
  oauth2?: { clientSecret?: string };
  httpEndpoint?: { headers?: Record<string, string | null> };
}

/** The secret values a subscription holds (to mask wherever text from outside is printed). */
export function secretValues(subscription: WithSecrets): string[] {
  const headers = Object.entries(subscription.httpEndpoint?.headers ?? {}).filter(([name, value]) => isSecretHeader(name, value)).map(([, value]) => value);
  const members = secretMembers.map(([object, member]) => (subscription[object] as Record<string, unknown> | undefined)?.[member]);
  return [...members, ...headers].filter((value): value is string => typeof value === 'string');
}
