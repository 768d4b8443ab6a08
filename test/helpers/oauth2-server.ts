// A test OAuth2 authorization server and a protected destination, following RFC 6749:
//   - §4.4.2 the access token request: POST, application/x-www-form-urlencoded,
//     `grant_type=client_credentials` and an optional `scope`; the client authenticates with HTTP
//     basic (§2.3.1, id and secret form-encoded before base64) or `client_id`/`client_secret` fields;
//   - §5.1 a successful answer: 200, `{"access_token", "token_type": "Bearer", "expires_in"}`,
//     `Cache-Control: no-store`;
//   - §5.2 an error answer: 400 (401 for a failed client authentication) with `{"error", "error_description"}`;
// and RFC 6750 §3.1 for the destination: a missing, expired or revoked token is answered 401 with
// `WWW-Authenticate: Bearer error="invalid_token"`.
import { HttpSink, type SinkAnswer, type SinkRequest } from './http-sink.js';

export interface TokenRequest {
  grantType: string | null;
  scope: string | null;
  /** Who authenticated, and how. */
  client: { id: string; secret: string; via: 'basic' | 'body' } | undefined;
}

export class OAuth2Server {
  readonly tokenRequests: TokenRequest[] = [];
  /** Tokens issued: value → expiry (epoch ms). */
  private readonly issued = new Map<string, number>();
  private readonly revokedTokens = new Set<string>();
  /** Events the destination accepted, with the token each request carried. */
  readonly delivered: { token: string; body: string }[] = [];
  /** Requests the destination refused for their token. */
  refusals = 0;
  /** The endpoint refuses every client while this is set (a secret rotated on the server). */
  refuseClients = false;

  private constructor(
    readonly tokenEndpoint: HttpSink,
    readonly destination: HttpSink,
    private readonly client: { id: string; secret: string },
    private readonly lifetimeSeconds: number | undefined,
  ) {}

  static async start(client: { id: string; secret: string }, lifetimeSeconds: number | undefined = 3600): Promise<OAuth2Server> {
    const holder: { server?: OAuth2Server } = {};
    const tokenEndpoint = await HttpSink.start({ handler: (request) => holder.server!.token(request) });
    const destination = await HttpSink.start({ handler: (request) => holder.server!.protect(request) });
    holder.server = new OAuth2Server(tokenEndpoint, destination, client, lifetimeSeconds);
    return holder.server;
  }

  get tokenUrl(): string {
    return `${this.tokenEndpoint.url}/oauth2/v2.0/token`;
  }

  /** The destination will refuse this token from now on (revoked before it expires). */
  revoke(token: string): void {
    this.revokedTokens.add(token);
  }

  private token(request: SinkRequest): SinkAnswer {
    const form = new URLSearchParams(request.body);
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '');
    let client: TokenRequest['client'];
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
      client = { id: id!, secret: secret ?? '', via: 'basic' };
    } else if (form.has('client_id')) client = { id: form.get('client_id')!, secret: form.get('client_secret') ?? '', via: 'body' };
    this.tokenRequests.push({ grantType: form.get('grant_type'), scope: form.get('scope'), client });
    const json = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    if (request.headers['content-type'] !== 'application/x-www-form-urlencoded') return { status: 400, headers: json, body: '{"error":"invalid_request","error_description":"form body required"}' };
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, headers: json, body: '{"error":"unsupported_grant_type"}' };
    if (this.refuseClients || client === undefined || client.id !== this.client.id || client.secret !== this.client.secret) {
      return { status: 401, headers: { ...json, 'www-authenticate': 'Basic realm="token"' }, body: '{"error":"invalid_client","error_description":"Client authentication failed."}' };
    }
    const token = `tok-${this.issued.size + 1}`;
    this.issued.set(token, this.lifetimeSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + this.lifetimeSeconds * 1000);
    return { status: 200, headers: json, body: JSON.stringify({ access_token: token, token_type: 'Bearer', ...(this.lifetimeSeconds === undefined ? {} : { expires_in: this.lifetimeSeconds }) }) };
  }

  private protect(request: SinkRequest): SinkAnswer {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const expiry = token === undefined ? undefined : this.issued.get(token);
    if (token === undefined || expiry === undefined || expiry <= Date.now() || this.revokedTokens.has(token)) {
      this.refusals++;
      return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: '' };
    }
    this.delivered.push({ token, body: request.body });
    return { status: 200, body: '{}' };
  }

  /** Event ids the destination accepted, in order (ND_JSON bodies of ACTIVITY items). */
  deliveredIds(): string[] {
    return this.delivered.flatMap(({ body }) => body.trimEnd().split('\n').map((line) => (JSON.parse(line) as { id: string }).id));
  }

  async close(): Promise<void> {
    await Promise.all([this.tokenEndpoint.close(), this.destination.close()]);
  }
}
