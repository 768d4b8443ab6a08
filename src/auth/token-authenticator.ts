// Bearer tokens from auth.tokens, compared in constant time: every configured token is checked,
// through fixed-length SHA-256 digests, whether or not an earlier one matched.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TokenConfig } from '../config/gateway-config.js';

export type Scope = TokenConfig['scopes'][number];

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** A presented credential equals a configured one, compared in constant time whatever the lengths. */
export function sameSecret(presented: string, configured: string): boolean {
  return timingSafeEqual(digest(presented), digest(configured));
}

export class TokenAuthenticator {
  private readonly tokens: { digest: Buffer; config: TokenConfig }[];

  constructor(tokens: readonly TokenConfig[]) {
    this.tokens = tokens.map((config) => ({ digest: digest(config.token), config }));
  }

  /** The token named by an `Authorization: Bearer …` header, or undefined. */
  authenticate(authorization: string | undefined): TokenConfig | undefined {
    const match = authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match === null) return undefined;
    const presented = digest(match[1]!);
    let found: TokenConfig | undefined;
    for (const token of this.tokens) {
      if (timingSafeEqual(presented, token.digest)) found = token.config;
    }
    return found;
  }
}

export function allows(token: TokenConfig, scope: Scope, environment?: string): boolean {
  if (!token.scopes.includes(scope)) return false;
  return environment === undefined || token.environments === undefined || token.environments.includes(environment);
}
