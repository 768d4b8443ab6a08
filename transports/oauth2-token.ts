// OAuth2 client credentials (RFC 6749 §4.4) for HTTPS destinations: a bearer token fetched from
// the token endpoint, kept until shortly before it expires (`expires_in`, §5.1), fetched again
// when the destination answers 401 (it may have been revoked early). One request at a time: the
// attempts of a subscription waiting for a token share it. Neither the secret nor the token ever
// appears in an error: the endpoint's own `error` and `error_description` (§5.2) do.

export interface OAuth2Settings {
  tokenUrl: URL;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** HTTP basic (§2.3.1, which every server must take) or form fields. */
  clientAuthentication: 'basic' | 'body';
}

/** POSTs a form to the token endpoint: the status and the body's text (bounded by the caller). */
export type TokenPost = (path: string, headers: Record<string, string>, body: string, signal: AbortSignal) => Promise<{ status: number; body: string }>;

/** A token endpoint that refused or could not be reached: the delivery attempt fails and is retried. */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
}

/** The token is fetched again this long before it expires: a tenth of its life, at most a minute. */
const refreshMarginMs = (lifetimeMs: number) => Math.min(60_000, lifetimeMs / 10);

export class OAuth2TokenSource {
  private cached: { token: string; refreshAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly settings: OAuth2Settings,
    private readonly post: TokenPost,
    private readonly now: () => number,
  ) {}

  /** A token valid now: the cached one, or a new one. */
  async token(signal: AbortSignal): Promise<string> {
    if (this.cached !== undefined && this.now() < this.cached.refreshAt) return this.cached.token;
    this.pending ??= this.fetch(signal).finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** The destination refused `token` (401): the next call fetches another. */
  refused(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async fetch(signal: AbortSignal): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope, clientAuthentication } = this.settings;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope !== undefined) form.set('scope', scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (clientAuthentication === 'basic') {
      // §2.3.1: each part form-encoded before the base64.
      headers.authorization = `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    const origin = `${tokenUrl.protocol}//${tokenUrl.host}`;
    let answer: { status: number; body: string };
    try {
      answer = await this.post(`${tokenUrl.pathname}${tokenUrl.search}`, headers, form.toString(), signal);
    } catch (error) {
      if (signal.aborted) throw error;
      throw new TokenRequestError(`OAuth2 token request to ${origin} failed: ${(error as Error).message}`);
    }
    let parsed: { access_token?: unknown; token_type?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      parsed = JSON.parse(answer.body) as typeof parsed;
    } catch {
      // Described below by its status.
    }
    if (answer.status !== 200 || typeof parsed.access_token !== 'string' || parsed.access_token === '') {
      const code = typeof parsed.error === 'string' ? ` ${parsed.error.slice(0, 64)}` : '';
      const description = typeof parsed.error_description === 'string' ? ` (${parsed.error_description.slice(0, 200)})` : '';
      throw new TokenRequestError(`OAuth2 token request to ${origin} answered ${answer.status}${code}${description}${answer.status === 200 ? ': no access_token' : ''}`);
    }
    if (typeof parsed.token_type === 'string' && parsed.token_type.toLowerCase() !== 'bearer') throw new TokenRequestError(`OAuth2 token endpoint ${origin} gave a ${parsed.token_type.slice(0, 32)} token; only bearer tokens are sent`);
    const lifetimeMs = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in * 1000 : undefined;
    // Without expires_in the token is kept until a destination refuses it.
    this.cached = { token: parsed.access_token, refreshAt: lifetimeMs === undefined ? Number.POSITIVE_INFINITY : this.now() + lifetimeMs - refreshMarginMs(lifetimeMs) };
    return parsed.access_token;
  }
}

/** application/x-www-form-urlencoded for one value (RFC 6749 Appendix B): spaces as +. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
