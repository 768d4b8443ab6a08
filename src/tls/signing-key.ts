// Keys with usage SIGNING sign Security Event Tokens: RSA (RS256, at least 2048 bits) or EC P-256
// (ES256). The `kid` is the key's RFC 7638 JWK thumbprint, so a replaced key gets a new kid and
// receivers fetch the JWKS again instead of failing on a cached key.
import { createHash, createPublicKey, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { KeyConfig } from '../config/gateway-config.js';
import { KeyMaterialError, loadKeyPair, parsePrivateKey, readMaterial } from './key-material.js';

export interface SigningKey {
  alg: 'RS256' | 'ES256';
  kid: string;
  /** The public key as a JWK with kid, alg and use, for the JWKS. */
  jwk: JsonWebKey;
  sign(signingInput: string): Buffer;
}

/** The JWS algorithm of a private key; throws KeyMaterialError for any other kind of key. */
function signingAlgorithm(key: KeyObject): 'RS256' | 'ES256' {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    if ((details?.modulusLength ?? 0) < 2048) throw new KeyMaterialError('a SIGNING key that is RSA must have at least 2048 bits');
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'ES256';
  throw new KeyMaterialError(`a SIGNING key must be RSA (RS256) or EC P-256 (ES256), not ${key.asymmetricKeyType === 'ec' ? `EC ${details?.namedCurve ?? ''}`.trim() : (key.asymmetricKeyType ?? 'unknown')}`);
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, base64url. */
function thumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** A checked private key in PEM as a signing key. */
export function signingKeyFromPem(pem: string): SigningKey {
  const privateKey = parsePrivateKey(pem);
  const alg = signingAlgorithm(privateKey);
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const kid = thumbprint(publicJwk);
  return {
    alg,
    kid,
    jwk: { ...publicJwk, kid, alg, use: 'sig' },
    // ES256 signatures are r || s (IEEE P1363), as JWS requires, not DER.
    sign: (signingInput) => sign('sha256', Buffer.from(signingInput), alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey),
  };
}

/**
 * The signing key of a `keys[]` entry with usage SIGNING, read and checked: a PEM private key
 * (with its certificate, when one is given, which must match and be valid) or a PKCS#12 file.
 */
export function loadSigningKey(config: Pick<KeyConfig, 'certFile' | 'keyFile' | 'pkcs12File' | 'passphrase' | 'pem'>, maxIterations?: number): SigningKey {
  if (config.pem !== undefined) return signingKeyFromPem(config.pem.certificate === undefined ? config.pem.privateKey : loadKeyPair(config).key);
  if (config.pkcs12File !== undefined || config.certFile !== undefined) return signingKeyFromPem(loadKeyPair(config, new Date(), maxIterations).key);
  return signingKeyFromPem(readMaterial(config.keyFile!, 'key file').toString('utf8'));
}
