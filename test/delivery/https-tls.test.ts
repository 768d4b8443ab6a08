// TLS against real HTTPS servers on loopback with certificates made now by node-forge.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import { transportFactory } from '../../src/pipeline/transport-factory.js';
import type { EncodedBatch } from '../../src/contracts/transport.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { createCa, toPkcs12, type TestCa } from '../helpers/certificates.js';
import { HttpSink } from '../helpers/http-sink.js';
import { until } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const batch: EncodedBatch = {
  id: 's:1-1',
  subscriptionId: 's',
  environment: 'prod',
  body: Buffer.from('{"id":"e1","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"}}\n'),
  contentType: 'application/x-ndjson',
  events: 1,
  firstSeq: 1,
  lastSeq: 1,
  firstEventId: 'e1',
  lastEventId: 'e1',
  oversize: false,
  records: [],
  items: [],
};

/** Sends one batch through a transport built from `subscriptionYaml` (keys and certificates from `files`). */
async function sendOnce(t: TestContext, url: string, subscriptionYaml: string, files: Record<string, string | Buffer>, sections = '') {
  const dir = tempDir(t);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const text = `environments: [ { id: prod } ]\n${sections}subscriptions:\n  - id: s\n    environment: prod\n    httpEndpoint: { url: "${url}" }\n    filterOptions: { includedActionTypes: ["*"] }\n${subscriptionYaml}`;
  const { config } = parseConfigText(text, join(dir, 'gateway.yaml'));
  const transport = transportFactory(config, captureLogger().logger).create(config.subscriptions[0]!);
  try {
    return await transport.send(batch, new AbortController().signal);
  } finally {
    await transport.close();
  }
}

function serverCertificate(ca: TestCa, names: { ips?: string[]; dnsNames?: string[] } = { ips: ['127.0.0.1'] }) {
  return ca.issue({ commonName: 'siem.test', ...names });
}

test('mTLS: a server requiring client certificates accepts the PEM pair and the PKCS#12 file, and refuses a client without one', async (t) => {
  const ca = createCa();
  const server = serverCertificate(ca);
  const client = ca.issue({ commonName: 'gateway-client', client: true });
  const sink = await HttpSink.start({ tls: { cert: server.cert, key: server.key, ca: ca.cert, requestCert: true } });
  t.after(() => sink.close());
  const files = { 'ca.pem': ca.cert, 'c.pem': client.cert, 'k.pem': client.key, 'c.p12': toPkcs12(client, 'p12-pass') };
  const keys = `keys:
  - { id: pem, environment: prod, certFile: c.pem, keyFile: k.pem }
  - { id: p12, environment: prod, pkcs12File: c.p12, passphrase: p12-pass }
certificates:
  - { id: ca, environment: prod, file: ca.pem }
`;
  const trusted = '    trustedCertificates: [ { id: ca } ]\n';
  assert.deepEqual(await sendOnce(t, sink.url, `${trusted}    tlsClientAuthKeyPair: { id: pem }\n`, files, keys), { ok: true, status: 200, bodyExcerpt: '{"text":"Success","code":0}' });
  assert.equal((await sendOnce(t, sink.url, `${trusted}    tlsClientAuthKeyPair: { id: p12 }\n`, files, keys)).ok, true);
  assert.deepEqual(sink.requests.map((r) => r.clientCertificate), ['gateway-client', 'gateway-client']);
  const refused = await sendOnce(t, sink.url, trusted, files, keys);
  assert.equal(refused.ok, false);
  assert.equal(refused.status, undefined);
  assert.match(refused.error!, /certificate|socket|ECONNRESET|alert/i);
  assert.equal(sink.requests.length, 2, 'the request without a client certificate never reached the server');
});

test('a self-signed server: refused by default, accepted when pinned, accepted in untrusted mode', async (t) => {
  const selfSigned = createCa('self-signed siem');
  const leaf = selfSigned.issue({ commonName: '127.0.0.1', ips: ['127.0.0.1'] });
  const sink = await HttpSink.start({ tls: { cert: leaf.cert, key: leaf.key } });
  t.after(() => sink.close());
  const files = { 'pin.pem': selfSigned.cert };
  const refused = await sendOnce(t, sink.url, '', files);
  assert.equal(refused.ok, false);
  assert.match(refused.error!, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i);
  const pinned = await sendOnce(t, sink.url, '    trustedCertificates: [ { id: pin } ]\n', files, 'certificates: [ { id: pin, environment: prod, file: pin.pem } ]\n');
  assert.equal(pinned.ok, true);
  const untrusted = await sendOnce(t, sink.url, '    verifyTlsCertificates: false\n', files);
  assert.equal(untrusted.ok, true);
  assert.equal(sink.requests.length, 2);
});

test('a certificate for another host name is refused even from a trusted CA', async (t) => {
  const ca = createCa();
  const wrongName = serverCertificate(ca, { dnsNames: ['other.example'] });
  const sink = await HttpSink.start({ tls: { cert: wrongName.cert, key: wrongName.key } });
  t.after(() => sink.close());
  const result = await sendOnce(t, sink.url, '    trustedCertificates: [ { id: ca } ]\n', { 'ca.pem': ca.cert }, 'certificates: [ { id: ca, environment: prod, file: ca.pem } ]\n');
  assert.equal(result.ok, false);
  assert.match(result.error!, /ERR_TLS_CERT_ALTNAME_INVALID|does not match|altnames/i);
  assert.equal(sink.requests.length, 0);
});

test('a rotated client key pair is used for new connections without a restart', async (t) => {
  const ca = createCa();
  const server = serverCertificate(ca);
  const sink = await HttpSink.start({ tls: { cert: server.cert, key: server.key, ca: ca.cert, requestCert: true } });
  t.after(() => sink.close());
  const dir = tempDir(t);
  const first = ca.issue({ commonName: 'before-rotation', client: true });
  writeFileSync(join(dir, 'ca.pem'), ca.cert);
  writeFileSync(join(dir, 'c.pem'), first.cert);
  writeFileSync(join(dir, 'k.pem'), first.key);
  const text = `environments: [ { id: prod } ]
keys: [ { id: k, environment: prod, certFile: c.pem, keyFile: k.pem } ]
certificates: [ { id: ca, environment: prod, file: ca.pem } ]
subscriptions:
  - { id: s, environment: prod, httpEndpoint: { url: "${sink.url}" }, tlsClientAuthKeyPair: { id: k }, trustedCertificates: [ { id: ca } ], filterOptions: { includedActionTypes: ["*"] } }
`;
  const { config } = parseConfigText(text, join(dir, 'gateway.yaml'));
  const { logger, lines } = captureLogger();
  const transport = transportFactory(config, logger).create(config.subscriptions[0]!);
  t.after(() => transport.close());
  assert.equal((await transport.send(batch, new AbortController().signal)).ok, true);

  const second = ca.issue({ commonName: 'after-rotation', client: true });
  writeFileSync(join(dir, 'k.pem'), second.key);
  writeFileSync(join(dir, 'c.pem'), second.cert);
  // The watcher may see the pair half-written (and keep the old one); it settles on the new pair.
  await until(() => lines.some((line) => line.msg === 'TLS files changed; new connections use them'), 15_000);
  let result = await transport.send(batch, new AbortController().signal);
  for (let attempt = 0; attempt < 20 && sink.requests.at(-1)?.clientCertificate !== 'after-rotation'; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    result = await transport.send(batch, new AbortController().signal);
  }
  assert.equal(result.ok, true);
  assert.deepEqual([sink.requests[0]!.clientCertificate, sink.requests.at(-1)!.clientCertificate], ['before-rotation', 'after-rotation']);
});
