// Signed deliveries: headers a receiver recomputes over the exact bytes it got, so it knows the
// batch came from whoever holds the secret.
//   keycloak           X-Keycloak-Signature: lowercase hex HMAC-SHA256 of the body
//   hub                X-Hub-Signature: sha256=<lowercase hex HMAC-SHA256 of the body>
//   standard-webhooks  webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of
//                      "<id>.<timestamp>.<body>"> with the key of a `whsec_<base64>` secret
import { createHmac } from 'node:crypto';

export type SigningType = 'keycloak' | 'hub' | 'standard-webhooks';

export interface Signing {
  type: SigningType;
  secret: string;
}

/** A standard-webhooks secret is `whsec_` and base64; the key is the decoded bytes. */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  return match === null ? undefined : Buffer.from(match[1]!, 'base64');
}

/** The headers that sign `body` (the bytes sent, after any compression). `id` is stable across retries. */
export function signatureHeaders(signing: Signing, body: Buffer, id: string, nowMs: number): Record<string, string> {
  if (signing.type === 'keycloak') return { 'x-keycloak-signature': createHmac('sha256', signing.secret).update(body).digest('hex') };
  if (signing.type === 'hub') return { 'x-hub-signature': `sha256=${createHmac('sha256', signing.secret).update(body).digest('hex')}` };
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = createHmac('sha256', standardWebhooksKey(signing.secret)!).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
