// Client key pairs (PEM or PKCS#12) and trusted certificates, read from disk and checked: the
// key matches its certificate, the certificate is within its validity, a PKCS#12 passphrase opens
// the file. node-forge reads PKCS#12; node:crypto checks the pair (RSA and EC alike).
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { NotRegularFileError, readRegularFile } from '../util/read-regular-file.js';
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

export class KeyMaterialError extends Error {
  constructor(
    message: string,
    /** The PKCS#12 file itself is the problem (not DER, too many iterations), not its passphrase. */
    readonly inFile = false,
  ) {
    super(message);
  }
}

/** A key or certificate file's bytes; KeyMaterialError naming the file when it cannot be read. */
export function readMaterial(file: string, what: string): Buffer {
  try {
    return readRegularFile(file);
  } catch (error) {
    throw new KeyMaterialError(`cannot read ${what} ${file} (${error instanceof NotRegularFileError ? error.message : ((error as NodeJS.ErrnoException).code ?? 'read error')})`);
  }
}

/** The key pair of a `keys[]` entry, checked; throws KeyMaterialError with a readable reason. */
export function loadKeyPair(config: Pick<KeyConfig, 'certFile' | 'keyFile' | 'pkcs12File' | 'passphrase' | 'pem'>, now = new Date(), maxIterations = defaultPkcs12MaxIterations): ClientKeyPair {
  let cert: string;
  let key: string;
  if (config.pem !== undefined) {
    if (config.pem.certificate === undefined) throw new KeyMaterialError('the key pair has no certificate');
    ({ certificate: cert, privateKey: key } = config.pem as { certificate: string; privateKey: string });
  } else if (config.pkcs12File !== undefined) {
    ({ cert, key } = openPkcs12(readMaterial(config.pkcs12File, 'PKCS#12 file'), config.passphrase ?? '', maxIterations));
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

/** PKCS#12 key derivation at most this many iterations by default (OpenSSL writes 2,048, Java 10,000). */
export const defaultPkcs12MaxIterations = 10_000;

/**
 * Every iteration count a PKCS#12 file shows before anything is decrypted: the MAC's and each
 * encryption's (PBE and PBKDF2 parameters are a salt followed by the count), including those of
 * bags inside the unencrypted content, which is DER inside an OCTET STRING.
 */
export function pkcs12Iterations(der: Buffer): number[] {
  const forge = loadForge();
  const counts: number[] = [];
  const visit = (node: Forge.asn1.Asn1, depth: number) => {
    if (depth > 24) return;
    if (Array.isArray(node.value)) {
      node.value.forEach((child, index) => {
        const previous = index > 0 ? (node.value as Forge.asn1.Asn1[])[index - 1] : undefined;
        if (child.type === forge.asn1.Type.INTEGER && previous?.type === forge.asn1.Type.OCTETSTRING && typeof child.value === 'string') {
          counts.push(child.value.length > 6 ? Number.MAX_SAFE_INTEGER : forge.util.createBuffer(child.value).getInt(child.value.length * 8));
        }
        visit(child, depth + 1);
      });
    } else if (node.type === forge.asn1.Type.OCTETSTRING && typeof node.value === 'string' && node.value.charCodeAt(0) === 0x30) {
      try {
        visit(forge.asn1.fromDer(node.value, true), depth + 1);
      } catch {
        // not DER: a salt, a digest or ciphertext
      }
    }
  };
  visit(forge.asn1.fromDer(der.toString('binary')), 0);
  return counts;
}

/**
 * The certificate and key of a PKCS#12 file, as PEM. A file asking for more than `maxIterations`
 * of key derivation is refused before any: deriving 10^9 iterations would hold a core for minutes.
 */
export function openPkcs12(der: Buffer, passphrase: string, maxIterations = defaultPkcs12MaxIterations): { cert: string; key: string } {
  const forge = loadForge();
  let iterations: number[];
  try {
    iterations = pkcs12Iterations(der);
  } catch {
    throw new KeyMaterialError('cannot open the PKCS#12 file: it is not DER (a PKCS#12 file, base64-decoded)', true);
  }
  const most = Math.max(0, ...iterations);
  if (most > maxIterations) throw new KeyMaterialError(`the PKCS#12 file asks for ${most > 1e12 ? 'more than 10^12' : most} key-derivation iterations; at most ${maxIterations} are accepted (management.pkcs12MaxIterations)`, true);
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
export function loadCertificates(config: Pick<CertificateConfig, 'file' | 'pem'>): string[] {
  if (config.pem !== undefined) return checkCertificates(config.pem, 'the certificate');
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
