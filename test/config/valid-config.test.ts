// A full §10 file loads into the typed configuration with every default filled in.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfigFile, parseConfigText } from '../../src/config/load-config.js';
import { writeKeyMaterial } from '../helpers/certificates.js';
import { tempDir } from '../helpers/temp-dir.js';

test('the SPEC §10 example loads, with paths made absolute and defaults filled', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'conf'));
  writeKeyMaterial(join(dir, 'conf'));
  const file = join(dir, 'conf', 'gateway.yaml');
  writeFileSync(file, `server:
  ingest: { listen: "127.0.0.1:8080" }
  admin:  { listen: "[::1]:8081" }
  maxBodyKB: 4096
storage:
  dir: ./data
  maxAgeHours: 168
  maxMB: 10240
  whenFull: reject
auth:
  tokens:
    - { name: collector, token: "\${env:INGEST_TOKEN}", scopes: [ingest], environments: [prod] }
    - { name: ops, token: "\${env:ADMIN_TOKEN}", scopes: [admin, metrics] }
environments:
  - { id: prod, name: Production }
keys:
  - { id: splunk-mtls, environment: prod, usage: OUTBOUND_MTLS, certFile: ./c.pem, keyFile: ./k.pem }
  - { id: nr-mtls, environment: prod, usage: OUTBOUND_MTLS, pkcs12File: ./c.p12, passphrase: "\${env:P12}" }
certificates:
  - { id: corp-ca, environment: prod, file: ./ca.pem }
sources:
  - { id: kc-prod, type: keycloak, environment: prod, secret: "\${env:KC_SECRET}" }
subscriptions:
  - id: splunk-prod
    name: Splunk production
    environment: prod
    enabled: true
    protocol: HTTPS
    format: SPLUNK
    httpEndpoint:
      url: https://splunk.example:8088/services/collector/event
      headers: { Authorization: "Splunk \${env:HEC_TOKEN}" }
    basicAuth: { username: u, password: "\${env:PW}" }
    verifyTlsCertificates: true
    tlsClientAuthKeyPair: { id: splunk-mtls }
    trustedCertificates: [ { id: corp-ca } ]
    filterOptions:
      includedActionTypes: ["USER.*", "AUTHENTICATION.*", "SESSION.DELETED"]
      includedApplications: [ { id: app-1 } ]
      includedPopulations: [ { id: pop-1 } ]
      includedTags: [ adminIdentityEvent ]
      ipAddressExposed: false
      userAgentExposed: false
    payloadOptions:
      maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 500 }
      payloadFormat:
        https: { format: ND_JSON }
        tcp:   { format: JSON_DOC }
    splunk: { index: audit, source: pingone, sourcetype: "pingone:activity", host: gw-1 }
    newRelic: { api: logs }
    delivery: { compression: gzip, maxInFlight: 1, timeoutMs: 30000 }
  - id: tcp-collector
    environment: prod
    protocol: TCP_IP
    startAt: 2026-01-31T00:00:00Z
    connectionDetails: { url: "tls://collector.example:6514" }
    filterOptions: { includedActionTypes: ["*"] }
logging: { level: info, deliveryFile: ./data/delivery.log }
metrics: { public: false }
network: { denyPrivateDestinations: false }
shutdownTimeoutMs: 10000
`);
  const env = { INGEST_TOKEN: 'ingest-token-0123456789', ADMIN_TOKEN: 'admin-token-0123456789', P12: 'pass', KC_SECRET: 'kc', HEC_TOKEN: 'hec-uuid', PW: 'pw' };
  const { config, warnings } = loadConfigFile(file, { env });
  assert.deepEqual(warnings, []);
  assert.equal(config.file, file);
  assert.deepEqual(config.server.ingest.address, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(config.server.admin.address, { host: '::1', port: 8081 });
  assert.equal(config.storage.dir, join(dir, 'conf', 'data'));
  assert.equal(config.keys[0]!.certFile, join(dir, 'conf', 'c.pem'));
  assert.equal(config.keys[1]!.pkcs12File, join(dir, 'conf', 'c.p12'));
  assert.equal(config.certificates[0]!.file, join(dir, 'conf', 'ca.pem'));
  assert.equal(config.logging.deliveryFile, join(dir, 'conf', 'data', 'delivery.log'));
  assert.equal(config.auth.tokens[0]!.token, env.INGEST_TOKEN);

  const [splunk, tcp] = config.subscriptions;
  assert.equal(splunk!.httpEndpoint!.headers!.Authorization, 'Splunk hec-uuid');
  assert.equal(splunk!.basicAuth!.password, 'pw');
  assert.deepEqual(splunk!.startAt, { kind: 'latest' });
  assert.equal(splunk!.payloadOptions.flushMs, 2000);
  assert.equal(tcp!.name, 'tcp-collector');
  assert.equal(tcp!.enabled, true);
  assert.equal(tcp!.format, 'ACTIVITY');
  assert.deepEqual(tcp!.startAt, { kind: 'time', at: new Date('2026-01-31T00:00:00Z') });
  assert.deepEqual(tcp!.filterOptions, { includedActionTypes: ['*'], ipAddressExposed: false, userAgentExposed: false });
  assert.deepEqual(tcp!.payloadOptions.maximumPayloadLimit, { type: 'EVENTS_PER_PAYLOAD', size: 500 });
  assert.deepEqual(tcp!.payloadOptions.payloadFormat.tcp, { format: 'JSON_DOC', framing: 'OCTET_COUNTING' });
  assert.deepEqual(tcp!.delivery, { compression: 'none', maxInFlight: 1, timeoutMs: 30_000 });
  assert.equal(tcp!.verifyTlsCertificates, true);
});

test('the smallest file: one environment, everything else defaulted', () => {
  const { config, warnings } = parseConfigText('environments: [ { id: prod } ]\n', '/etc/siem-gateway/gateway.yaml');
  assert.deepEqual(config.server.ingest.address, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(config.server.admin.address, { host: '127.0.0.1', port: 8081 });
  assert.equal(config.server.maxBodyKB, 4096);
  assert.deepEqual(config.storage, { dir: '/etc/siem-gateway/data', maxAgeHours: 168, maxMB: 10_240, whenFull: 'reject', memoryTailMB: 32, backend: 'file' });
  assert.deepEqual(config.auth.tokens, []);
  assert.deepEqual([config.keys, config.certificates, config.sources, config.subscriptions], [[], [], [], []]);
  assert.deepEqual(config.logging, { level: 'info', deliveryFile: undefined });
  assert.deepEqual(config.metrics, { public: false });
  assert.deepEqual(config.network, { destinations: { allow: [], deny: [], denyPrivate: false, denyLoopback: false } });
  assert.equal(config.shutdownTimeoutMs, 10_000);
  assert.deepEqual(warnings, ['/etc/siem-gateway/gateway.yaml:1 auth.tokens: no token has the ingest scope: every ingest request will be refused with 401']);
});

test('the HTTPS body format defaults to ND_JSON for SPLUNK and JSON_ARRAY otherwise', () => {
  const text = (format: string) => `environments: [ { id: p } ]
subscriptions:
  - { id: s, environment: p, format: ${format}, httpEndpoint: { url: "https://h/x" }, filterOptions: { includedActionTypes: ["*"] } }
`;
  assert.equal(parseConfigText(text('SPLUNK'), 'g.yaml').config.subscriptions[0]!.payloadOptions.payloadFormat.https.format, 'ND_JSON');
  assert.equal(parseConfigText(text('ACTIVITY'), 'g.yaml').config.subscriptions[0]!.payloadOptions.payloadFormat.https.format, 'JSON_ARRAY');
  assert.equal(parseConfigText(text('NEWRELIC'), 'g.yaml').config.subscriptions[0]!.payloadOptions.payloadFormat.https.format, 'JSON_ARRAY');
});

test('plaintext destinations and untrusted mode are accepted with a warning', () => {
  const text = `environments: [ { id: p } ]
auth: { tokens: [ { name: a, token: "ingest-token-0123456789", scopes: [ingest] } ] }
subscriptions:
  - id: local
    environment: p
    httpEndpoint: { url: "http://127.0.0.1:9000/x" }
    filterOptions: { includedActionTypes: ["*"] }
  - id: lab
    environment: p
    verifyTlsCertificates: false
    protocol: TCP_IP
    connectionDetails: { url: "tcp://127.0.0.1:5514" }
    filterOptions: { includedActionTypes: ["*"] }
`;
  assert.deepEqual(parseConfigText(text, 'g.yaml').warnings, [
    'g.yaml:6 subscriptions[0].httpEndpoint.url: sends events unencrypted (http://); use only for a local collector',
    'g.yaml:12 subscriptions[1].connectionDetails.url: sends events unencrypted (tcp://); use only for a local collector',
    'g.yaml:10 subscriptions[1].verifyTlsCertificates: is false: any server certificate is accepted (untrusted mode); events can be intercepted',
  ]);
});

test('SPLUNK with JSON_ARRAY to a HEC /services/collector URL is warned about', () => {
  const text = (url: string, format = 'JSON_ARRAY') => `environments: [ { id: p } ]
auth: { tokens: [ { name: a, token: "ingest-token-0123456789", scopes: [ingest] } ] }
subscriptions:
  - id: hec
    environment: p
    format: SPLUNK
    httpEndpoint: { url: "${url}" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions:
      payloadFormat: { https: { format: ${format} } }
`;
  assert.deepEqual(parseConfigText(text('https://splunk.example:8088/services/collector/event'), 'g.yaml').warnings, [
    'g.yaml:10 subscriptions[0].payloadOptions.payloadFormat.https.format: is JSON_ARRAY for a Splunk HEC URL: HEC expects concatenated events; use ND_JSON',
  ]);
  assert.equal(parseConfigText(text('https://splunk.example:8088/services/collector'), 'g.yaml').warnings.length, 1);
  assert.deepEqual(parseConfigText(text('https://splunk.example:8088/services/collector/event', 'ND_JSON'), 'g.yaml').warnings, []);
  assert.deepEqual(parseConfigText(text('https://receiver.example/ingest'), 'g.yaml').warnings, []);
});
