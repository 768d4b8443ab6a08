// Which fields of a subscription are secrets: a basic-auth password, a signing secret, and header
// values that are credentials (by name) or hold a `${env:…}` / `${file:…}` reference. The API
// never returns them; logs and kept answers mask their values.

import { holdsReference } from './references.js';

const credentialHeader = /^(authorization|proxy-authorization|cookie|api-key|x-api-key|x-license-key|x-insert-key)$|token|secret|passw|key|signature|auth/i;

export function isSecretHeader(name: string, value: string | null): boolean {
  // A TEMPLATE placeholder such as `${username}` is not a secret; a reference of the file's may be.
  return credentialHeader.test(name) || (typeof value === 'string' && holdsReference(value));
}

interface WithSecrets {
  basicAuth?: { password?: string };
  signing?: { secret?: string };
  httpEndpoint?: { headers?: Record<string, string | null> };
}

/** The secret values a subscription holds (to mask wherever text from outside is printed). */
export function secretValues(subscription: WithSecrets): string[] {
  const headers = Object.entries(subscription.httpEndpoint?.headers ?? {}).filter(([name, value]) => isSecretHeader(name, value)).map(([, value]) => value);
  return [subscription.basicAuth?.password, subscription.signing?.secret, ...headers].filter((value): value is string => typeof value === 'string');
}
