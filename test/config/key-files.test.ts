// Key pairs and certificates are opened and checked when the file is loaded: a bad one is a
// configuration error naming the key id, never a failed delivery later.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfigFile } from '../../src/config/load-config.js';
import { createCa, toPkcs12 } from '../helpers/certificates.js';
import { tempDir } from '../helpers/temp-dir.js';

function problemsOf(dir: string, keys: string, certificates = ''): string[] {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, `environments: [ { id: prod } ]\nkeys:\n${keys}${certificates === '' ? '' : `certificates:\n${certificates}`}`);
  try {
    loadConfigFile(file);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((line) => line.slice(file.length));
  }
}

test('a good PEM pair and a good PKCS#12 file load', (t) => {
  const dir = tempDir(t);
  const client = createCa().issue({ commonName: 'client', client: true });
  writeFileSync(join(dir, 'c.pem'), client.cert);
  writeFileSync(join(dir, 'k.pem'), client.key);
  writeFileSync(join(dir, 'c.p12'), toPkcs12(client, 'secret-pass'));
  assert.deepEqual(problemsOf(dir, '  - { id: pem, environment: prod, certFile: c.pem, keyFile: k.pem }\n  - { id: p12, environment: prod, pkcs12File: c.p12, passphrase: secret-pass }\n'), []);
});

test('a key that does not match, an expired certificate, a wrong passphrase, a missing file', (t) => {
  const dir = tempDir(t);
  const ca = createCa();
  const one = ca.issue({ commonName: 'one', client: true });
  const two = ca.issue({ commonName: 'two', client: true });
  const expired = ca.issue({ commonName: 'old', client: true, notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  writeFileSync(join(dir, 'one.pem'), one.cert);
  writeFileSync(join(dir, 'two.key'), two.key);
  writeFileSync(join(dir, 'old.pem'), expired.cert);
  writeFileSync(join(dir, 'old.key'), expired.key);
  writeFileSync(join(dir, 'one.p12'), toPkcs12(one, 'right'));
  writeFileSync(join(dir, 'not-a-cert.pem'), 'hello\n');
  const found = problemsOf(
    dir,
    `  - { id: mismatch, environment: prod, certFile: one.pem, keyFile: two.key }
  - { id: expired, environment: prod, certFile: old.pem, keyFile: old.key }
  - { id: wrong-pass, environment: prod, pkcs12File: one.p12, passphrase: wrong }
  - { id: missing, environment: prod, certFile: nope.pem, keyFile: two.key }
`,
    '  - { id: bad-ca, environment: prod, file: not-a-cert.pem }\n',
  );
  assert.equal(found.length, 5);
  assert.equal(found[0], ':3 keys[0]: key "mismatch": the private key does not match the certificate');
  assert.match(found[1]!, /^:4 keys\[1\]: key "expired": the certificate expired on \d{4}-\d\d-\d\dT/);
  assert.equal(found[2], ':5 keys[2]: key "wrong-pass": cannot open the PKCS#12 file: wrong passphrase or not a PKCS#12 file');
  assert.equal(found[3], `:6 keys[3]: key "missing": cannot read certificate file ${join(dir, 'nope.pem')} (ENOENT)`);
  assert.equal(found[4], `:8 certificates[0]: certificate "bad-ca": ${join(dir, 'not-a-cert.pem')} holds no PEM certificate`);
  assert.ok(!found.join('').includes('wrong,'), 'the passphrase is not echoed');
});
