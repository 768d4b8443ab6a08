// Which fields of a subscription are secrets: a basic-auth password, a signing secret, and header
// values that are credentials (by name) or came from a `${env:…}` / `${file:…}` reference. The API
// never returns them; logs and kept answers mask their values.

const credentialHeader = /^(authorization|proxy-authorization|cookie|api-key|x-api-key|x-license-key|x-insert-key)$|token|secret|passw|key|signature|auth/i;

export function isSecretHeader(name: string, value: string | null): boolean {
  return credentialHeader.test(name) || (typeof value === 'string' && value.includes('${'));
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
