// Test certificates made at test time with node-forge: a CA, server and client certificates.
// RSA keys come from node:crypto (native, fast); node-forge builds and signs the certificates.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

export interface Issued {
  cert: string;
  key: string;
}

export interface TestCa extends Issued {
  issue(options: IssueOptions): Issued;
}

export interface IssueOptions {
  commonName: string;
  /** IP addresses and DNS names for subjectAltName (servers). */
  ips?: string[];
  dnsNames?: string[];
  client?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

function keyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem);
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

function baseCertificate(publicKey: forge.pki.PublicKey, commonName: string, notBefore: Date, notAfter: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  return cert;
}

const hourAgo = () => new Date(Date.now() - 3_600_000);
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000);

export function createCa(commonName = 'siem-gateway test CA'): TestCa {
  const ca = keyPair();
  const caCert = baseCertificate(ca.publicKey, commonName, hourAgo(), inDays(30));
  caCert.setIssuer(caCert.subject.attributes);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());
  return {
    cert: forge.pki.certificateToPem(caCert),
    key: ca.pem,
    issue(options: IssueOptions): Issued {
      const leaf = keyPair();
      const cert = baseCertificate(leaf.publicKey, options.commonName, options.notBefore ?? hourAgo(), options.notAfter ?? inDays(30));
      cert.setIssuer(caCert.subject.attributes);
      const altNames = [
        ...(options.ips ?? []).map((ip) => ({ type: 7, ip })),
        ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
      ];
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: !options.client, clientAuth: options.client === true },
        ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
      ]);
      cert.sign(ca.privateKey, forge.md.sha256.create());
      return { cert: forge.pki.certificateToPem(cert), key: leaf.pem };
    },
  };
}

/** A PKCS#12 (.p12) file holding `issued` and its key, protected by `passphrase`. */
export function toPkcs12(issued: Issued, passphrase: string): Buffer {
  const key = forge.pki.privateKeyFromPem(issued.key);
  const cert = forge.pki.certificateFromPem(issued.cert);
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], passphrase, { algorithm: '3des' });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/** A client key pair and CA written to `dir`: ca.pem, c.pem, k.pem and c.p12 (passphrase `pass`). */
export function writeKeyMaterial(dir: string): { ca: TestCa; client: Issued } {
  const ca = createCa();
  const client = ca.issue({ commonName: 'siem-gateway client', client: true });
  writeFileSync(join(dir, 'ca.pem'), ca.cert);
  writeFileSync(join(dir, 'c.pem'), client.cert);
  writeFileSync(join(dir, 'k.pem'), client.key);
  writeFileSync(join(dir, 'c.p12'), toPkcs12(client, 'pass'));
  return { ca, client };
}
