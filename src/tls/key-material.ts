// Client key pairs (PEM or PKCS#12) and trusted certificates, read from disk and checked: the
// key matches its certificate, the certificate is within its validity, a PKCS#12 passphrase opens
// the file. node-forge reads PKCS#12; node:crypto checks the pair (RSA and EC alike).
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Forge from 'node-forge';

// node-forge only opens PKCS#12 files: loaded the first time one is opened, not at every start
// (it adds about 60 ms before a backlog's first delivery).
let forgeModule: typeof Forge | undefined;
const loadForge = (): typeof Forge => (forgeModule ??= createRequire(import.meta.url)('node-forge') as typeof Forge);
import type { CertificateConfig, KeyConfig } from '../config/gateway-config.js';

export interface ClientKeyPair {
  cert: string;
  key: string;
  notAfter: Date;
  subject: string;
}

export class KeyMaterialError extends Error {}

/** A key or certificate file's bytes; KeyMaterialError naming the file when it cannot be read. */
export function readMaterial(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new KeyMaterialError(`cannot read ${what} ${file} (${(error as NodeJS.ErrnoException).code ?? 'read error'})`);
  }
}

/** The key pair of a `keys[]` entry, checked; throws KeyMaterialError with a readable reason. */
export function loadKeyPair(config: Pick<KeyConfig, 'certFile' | 'keyFile' | 'pkcs12File' | 'passphrase'>, now = new Date()): ClientKeyPair {
  let cert: string;
  let key: string;
  if (config.pkcs12File !== undefined) {
    ({ cert, key } = openPkcs12(readMaterial(config.pkcs12File, 'PKCS#12 file'), config.passphrase ?? ''));
  } else {
    cert = readMaterial(config.certFile!, 'certificate file').toString('utf8');
    key = readMaterial(config.keyFile!, 'key file').toString('utf8');
  }
  return checkKeyPair(cert, key, now);
}

/** A PEM certificate and private key, checked: they match, and the certificate is valid now. */
export function checkKeyPair(cert: string, key: string, now = new Date()): ClientKeyPair {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new KeyMaterialError('the certificate is not a PEM X.509 certificate');
  }
  const privateKey = parsePrivateKey(key);
  if (!x509.checkPrivateKey(privateKey)) throw new KeyMaterialError('the private key does not match the certificate');
  const notAfter = new Date(x509.validTo);
  if (notAfter.getTime() <= now.getTime()) throw new KeyMaterialError(`the certificate expired on ${notAfter.toISOString()}`);
  if (new Date(x509.validFrom).getTime() > now.getTime()) throw new KeyMaterialError(`the certificate is not valid before ${new Date(x509.validFrom).toISOString()}`);
  return { cert, key, notAfter, subject: x509.subject };
}

/** An unencrypted PEM private key; KeyMaterialError when `pem` is not one. */
export function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new KeyMaterialError('the private key is not a PEM private key (encrypted PEM keys are not supported; use PKCS#12 with a passphrase)');
  }
}

/** The certificate and key of a PKCS#12 file, as PEM. */
export function openPkcs12(der: Buffer, passphrase: string): { cert: string; key: string } {
  const forge = loadForge();
  let p12: Forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der.toString('binary')), passphrase);
  } catch {
    throw new KeyMaterialError('cannot open the PKCS#12 file: wrong passphrase or not a PKCS#12 file');
  }
  const bag = (type: string) => p12.getBags({ bagType: type })[type]?.[0];
  const certBag = bag(forge.pki.oids.certBag!);
  const keyBag = bag(forge.pki.oids.pkcs8ShroudedKeyBag!) ?? bag(forge.pki.oids.keyBag!);
  if (certBag?.cert == null || keyBag?.key == null) throw new KeyMaterialError('the PKCS#12 file must hold one certificate and its private key');
  return { cert: forge.pki.certificateToPem(certBag.cert), key: forge.pki.privateKeyToPem(keyBag.key) };
}

/** The PEM certificates of a `certificates[]` entry (a CA bundle or one pinned server certificate). */
export function loadCertificates(config: Pick<CertificateConfig, 'file'>): string[] {
  return checkCertificates(readMaterial(config.file, 'certificate file').toString('utf8'), config.file);
}

/** Every PEM certificate in `text`, each parsed; `label` names the source in errors. */
export function checkCertificates(text: string, label: string): string[] {
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) throw new KeyMaterialError(`${label} holds no PEM certificate`);
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch {
      throw new KeyMaterialError(`${label} holds a certificate that cannot be parsed`);
    }
  }
  return pems.map((pem) => `${pem}\n`);
}
