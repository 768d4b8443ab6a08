// Every configuration problem is one line naming the file line and the key path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, parseConfigText } from '../../src/config/load-config.js';
import { writeKeyMaterial } from '../helpers/certificates.js';

const token = 'collector-token-0123456789';

// Real key files: the loader opens every key and certificate (absolute paths, so the label's directory does not matter).
const keyDir = mkdtempSync(join(tmpdir(), 'siem-gateway-keys-'));
writeKeyMaterial(keyDir);
process.on('exit', () => rmSync(keyDir, { recursive: true, force: true }));
const keyFiles = `certFile: ${join(keyDir, 'c.pem')}, keyFile: ${join(keyDir, 'k.pem')}`;

// Lines 1-11; the first subscription starts on line 12.
const base = `environments:
  - id: prod
  - id: dev
auth:
  tokens:
    - { name: collector, token: "${token}", scopes: [ingest], environments: [prod] }
keys:
  - { id: mtls, environment: prod, ${keyFiles} }
certificates:
  - { id: corp-ca, environment: prod, file: ${join(keyDir, 'ca.pem')} }
subscriptions:
`;

/** A valid subscription on lines 12-16; `extra` lines start at line 17. */
function subscription(extra = '', id = 's1', environment = 'prod'): string {
  return `  - id: ${id}
    environment: ${environment}
    httpEndpoint: { url: "https://127.0.0.1:9000/services/collector" }
    filterOptions:
      includedActionTypes: ["USER.*"]
${extra}`;
}

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, 'gateway.yaml', { env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    for (const line of error.problems) assert.doesNotMatch(line, /\n/, 'one line per problem');
    return error.problems;
  }
  return [];
}

describe('the base fixture', () => {
  test('is valid, so every case below fails for its own reason', () => {
    assert.deepEqual(problems(base + subscription()), []);
  });
});

describe('schema limits name the line and path', () => {
  test('more than 10 applications', () => {
    const apps = Array.from({ length: 11 }, (_, i) => `{ id: app-${i} }`).join(', ');
    assert.deepEqual(problems(base + subscription(`      includedApplications: [ ${apps} ]\n`)), [
      'gateway.yaml:17 subscriptions[0].filterOptions.includedApplications: must have at most 10 items',
    ]);
  });

  test('more than 10 populations, indented on their own lines', () => {
    const pops = Array.from({ length: 11 }, (_, i) => `        - id: pop-${i}\n`).join('');
    assert.deepEqual(problems(base + subscription(`      includedPopulations:\n${pops}`)), [
      'gateway.yaml:17 subscriptions[0].filterOptions.includedPopulations: must have at most 10 items',
    ]);
  });

  test('an unknown key, nested and at the top level', () => {
    const found = problems(`${base}${subscription('    colour: blue\n')}logging: { level: info, verbose: true }\n`);
    assert.equal(found.length, 2);
    assert.match(found[0]!, /^gateway\.yaml:17 subscriptions\[0\]\.colour: unknown key \(allowed here: id, name, environment, /);
    assert.match(found[1]!, /^gateway\.yaml:18 logging\.verbose: unknown key \(allowed here: level, deliveryFile\)$/);
    assert.match(problems(`${base}${subscription()}serverr: {}\n`)[0]!, /^gateway\.yaml:17 serverr: unknown key \(allowed here: server, storage, /);
  });

  test('a missing required key names the key and its parent line', () => {
    const text = `${base}  - id: s1\n    environment: prod\n    httpEndpoint: { url: "https://h/x" }\n    filterOptions: {}\n`;
    assert.deepEqual(problems(text), ['gateway.yaml:15 subscriptions[0].filterOptions.includedActionTypes: is required']);
    assert.deepEqual(problems('storage: { dir: ./x }\n'), ['gateway.yaml:1 environments: is required']);
  });

  test('an unknown format and a regular expression in action types', () => {
    assert.deepEqual(problems(base + subscription('    format: XML\n')), ['gateway.yaml:17 subscriptions[0].format: must be one of: ACTIVITY, SPLUNK, NEWRELIC, TEMPLATE, SET, ELASTICSEARCH, OTLP, OCSF, CEF, LEEF']);
    const text = base + subscription().replace('["USER.*"]', '["USER.*", "USER.(CREATED|DELETED)"]');
    assert.deepEqual(problems(text), [
      'gateway.yaml:16 subscriptions[0].filterOptions.includedActionTypes[1]: must be an action type or a "*" glob such as USER.* (no regular expressions)',
    ]);
  });

  test('an empty includedActionTypes list', () => {
    const text = base + subscription().replace('["USER.*"]', '[]');
    assert.deepEqual(problems(text), ['gateway.yaml:16 subscriptions[0].filterOptions.includedActionTypes: must have at least 1 item']);
  });
});

describe('wrong types anywhere give one line each', () => {
  test('a string for a number, a map for a list, a list for a map, a word for a boolean', () => {
    const text = `${base}${subscription('    enabled: sometimes\n')}server:\n  maxBodyKB: lots\nstorage: [a, b]\nmetrics:\n  public: yes\n`;
    assert.deepEqual(problems(text), [
      'gateway.yaml:17 subscriptions[0].enabled: must be true or false',
      'gateway.yaml:19 server.maxBodyKB: must be a whole number',
      'gateway.yaml:20 storage: must be a map',
      'gateway.yaml:22 metrics.public: must be true or false',
    ]);
    assert.deepEqual(problems('environments: { id: prod }\n'), ['gateway.yaml:1 environments: must be a list']);
  });

  test('a number out of range', () => {
    assert.deepEqual(problems(`${base}${subscription()}shutdownTimeoutMs: -5\n`), ['gateway.yaml:17 shutdownTimeoutMs: must be 0..600000']);
    assert.deepEqual(problems(`${base}${subscription()}storage: { memoryTailMB: 2048 }\n`), ['gateway.yaml:17 storage.memoryTailMB: must be 1..1024']);
  });
});

describe('cross-field rules', () => {
  test('tlsClientAuthKeyPair with verifyTlsCertificates: false', () => {
    const found = problems(base + subscription('    verifyTlsCertificates: false\n    tlsClientAuthKeyPair: { id: mtls }\n'));
    assert.deepEqual(found, ['gateway.yaml:18 subscriptions[0].tlsClientAuthKeyPair: requires verifyTlsCertificates: true (a client key cannot be combined with untrusted mode)']);
  });

  for (const [type, size, message] of [
    ['EVENTS_PER_PAYLOAD', 0, 'must be 1..500 for EVENTS_PER_PAYLOAD'],
    ['EVENTS_PER_PAYLOAD', 501, 'must be 1..500 for EVENTS_PER_PAYLOAD'],
    ['KB_PER_PAYLOAD', 0, 'must be 1..4096 for KB_PER_PAYLOAD'],
    ['KB_PER_PAYLOAD', 4097, 'must be 1..4096 for KB_PER_PAYLOAD'],
  ] as const) {
    test(`${type} size ${size}`, () => {
      const extra = `    payloadOptions:\n      maximumPayloadLimit:\n        type: ${type}\n        size: ${size}\n`;
      assert.deepEqual(problems(base + subscription(extra)), [`gateway.yaml:20 subscriptions[0].payloadOptions.maximumPayloadLimit.size: ${message}`]);
    });
  }

  test('payload limits at their edges are accepted', () => {
    for (const [type, size] of [['EVENTS_PER_PAYLOAD', 1], ['EVENTS_PER_PAYLOAD', 500], ['KB_PER_PAYLOAD', 1], ['KB_PER_PAYLOAD', 4096]] as const) {
      assert.deepEqual(problems(base + subscription(`    payloadOptions: { maximumPayloadLimit: { type: ${type}, size: ${size} } }\n`)), []);
    }
  });

  test('KB_PER_PAYLOAD without a size', () => {
    assert.deepEqual(problems(base + subscription('    payloadOptions: { maximumPayloadLimit: { type: KB_PER_PAYLOAD } }\n')), [
      'gateway.yaml:17 subscriptions[0].payloadOptions.maximumPayloadLimit.size: is required for KB_PER_PAYLOAD (1..4096)',
    ]);
  });

  test('a subscription naming an unknown environment, key or certificate', () => {
    assert.deepEqual(problems(base + subscription('', 's1', 'staging')), ['gateway.yaml:13 subscriptions[0].environment: unknown environment "staging"']);
    assert.deepEqual(problems(base + subscription('    tlsClientAuthKeyPair: { id: nokey }\n')), ['gateway.yaml:17 subscriptions[0].tlsClientAuthKeyPair.id: unknown key "nokey" in environment "prod"']);
    assert.deepEqual(problems(base + subscription('    trustedCertificates:\n      - id: corp-ca\n      - id: other-ca\n')), [
      'gateway.yaml:19 subscriptions[0].trustedCertificates[1].id: unknown certificate "other-ca" in environment "prod"',
    ]);
  });

  test('a key or certificate of another environment', () => {
    const text = base + subscription('    tlsClientAuthKeyPair: { id: mtls }\n    trustedCertificates: [ { id: corp-ca } ]\n', 's1', 'dev');
    assert.deepEqual(problems(text), [
      'gateway.yaml:17 subscriptions[0].tlsClientAuthKeyPair.id: unknown key "mtls" in environment "dev"',
      'gateway.yaml:18 subscriptions[0].trustedCertificates[0].id: unknown certificate "corp-ca" in environment "dev"',
    ]);
  });

  test('a token, key, certificate or source naming an unknown environment', () => {
    const text = `environments: [ { id: prod } ]
auth:
  tokens:
    - { name: collector, token: "${token}", scopes: [ingest], environments: [prod, qa] }
keys:
  - { id: k, environment: qa, pkcs12File: c.p12 }
certificates:
  - { id: c, environment: qa, file: ca.pem }
sources:
  - { id: kc, type: keycloak, environment: qa, secret: s }
`;
    assert.deepEqual(problems(text), [
      'gateway.yaml:4 auth.tokens[0].environments[1]: unknown environment "qa"',
      'gateway.yaml:6 keys[0].environment: unknown environment "qa"',
      'gateway.yaml:8 certificates[0].environment: unknown environment "qa"',
      'gateway.yaml:10 sources[0].environment: unknown environment "qa"',
    ]);
  });

  test('duplicate ids and token names', () => {
    const text = `environments:
  - id: prod
  - id: prod
auth:
  tokens:
    - { name: a, token: "${token}", scopes: [ingest] }
    - { name: a, token: "another-token-0123456789", scopes: [admin] }
keys:
  - { id: k, environment: prod, pkcs12File: c.p12 }
  - { id: k, environment: prod, pkcs12File: d.p12 }
subscriptions:
${subscription()}${subscription('', 's1')}`;
    assert.deepEqual(problems(text), [
      'gateway.yaml:3 environments[1].id: duplicate environment id "prod" (first at environments[0])',
      'gateway.yaml:7 auth.tokens[1].name: duplicate token name "a" (first at auth.tokens[0])',
      'gateway.yaml:10 keys[1].id: duplicate key id "k" in environment "prod" (first at keys[0])',
      'gateway.yaml:17 subscriptions[1].id: duplicate subscription id "s1" (first at subscriptions[0])',
    ]);
  });

  test('two tokens with one secret value, without printing it', () => {
    const text = `environments: [ { id: prod } ]\nauth:\n  tokens:\n    - { name: a, token: "${token}", scopes: [ingest] }\n    - { name: b, token: "${token}", scopes: [admin] }\n`;
    const found = problems(text);
    assert.deepEqual(found, ['gateway.yaml:5 auth.tokens[1].token: has the same value as auth.tokens[0].token; every token must be distinct']);
    assert.ok(!found.join('').includes(token));
  });

  test('50 subscriptions in one environment are fine, 51 are not', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => subscription('', `s${i}`)).join('');
    assert.deepEqual(problems(base + many(50)), []);
    // Subscription i starts on line 12 + 5 i; its environment is on the next line.
    assert.deepEqual(problems(base + many(51)), ['gateway.yaml:263 subscriptions[50].environment: environment "prod" has more than 50 subscriptions']);
    // The limit is per environment.
    assert.deepEqual(problems(base + many(50) + subscription('', 'in-dev', 'dev')), []);
  });

  test('a protocol without its destination, and a destination of the wrong kind', () => {
    const tcp = `${base}  - id: t1\n    environment: prod\n    protocol: TCP_IP\n    filterOptions: { includedActionTypes: ["*"] }\n`;
    assert.deepEqual(problems(tcp), ['gateway.yaml:12 subscriptions[0].connectionDetails: is required for protocol TCP_IP']);
    assert.deepEqual(problems(base + subscription().replace('https://127.0.0.1:9000/services/collector', 'ftp://h/x')), [
      'gateway.yaml:14 subscriptions[0].httpEndpoint.url: must use https:// or http:// for protocol HTTPS',
    ]);
    assert.deepEqual(problems(base + subscription('    connectionDetails: { url: "tls://h:6514" }\n')), [
      'gateway.yaml:17 subscriptions[0].connectionDetails: is not used with protocol HTTPS',
    ]);
  });

  test('RFC_LOGLINE additionalAttributes names must be RFC 5424 SD-PARAM names', () => {
    const tcp = `${base}  - id: t1\n    environment: prod\n    protocol: TCP_IP\n    connectionDetails: { url: "tls://h:6514" }\n    filterOptions: { includedActionTypes: ["*"] }\n    payloadOptions:\n      payloadFormat:\n        tcp:\n          format: RFC_LOGLINE\n          additionalAttributes: { good-name: x, "bad name": y, "a=b": z }\n`;
    const message = 'must be 1 to 32 printable ASCII characters without "=", space, "]" or \'"\' (an RFC 5424 SD-PARAM name)';
    assert.deepEqual(problems(tcp), [`gateway.yaml:21 subscriptions[0].payloadOptions.payloadFormat.tcp.additionalAttributes["bad name"]: ${message}`, `gateway.yaml:21 subscriptions[0].payloadOptions.payloadFormat.tcp.additionalAttributes["a=b"]: ${message}`]);
  });

  test('credentials inside a destination URL are refused without echoing them', () => {
    const found = problems(base + subscription().replace('https://127.0.0.1', 'https://user:hunter2hunter2@127.0.0.1'));
    assert.deepEqual(found, ['gateway.yaml:14 subscriptions[0].httpEndpoint.url: must not contain credentials; use basicAuth or httpEndpoint.headers']);
  });

  test('a header value with a line break', () => {
    const text = base + subscription().replace('{ url: "https://127.0.0.1:9000/services/collector" }', '{ url: "https://h/x", headers: { X-Token: "a\\r\\nInjected: 1" } }');
    assert.deepEqual(problems(text), ['gateway.yaml:14 subscriptions[0].httpEndpoint.headers.X-Token: must not contain line breaks or NUL']);
  });

  test('a key needs PEM files or PKCS#12, not both', () => {
    const text = `environments: [ { id: prod } ]\nkeys:\n  - { id: a, environment: prod, certFile: c.pem }\n  - { id: b, environment: prod, certFile: c.pem, keyFile: k.pem, pkcs12File: c.p12 }\n  - { id: c, environment: prod, certFile: c.pem, keyFile: k.pem, passphrase: x }\n`;
    assert.deepEqual(problems(text), [
      'gateway.yaml:3 keys[0]: needs certFile and keyFile (PEM), or pkcs12File',
      'gateway.yaml:4 keys[1]: give either certFile and keyFile (PEM) or pkcs12File, not both',
      'gateway.yaml:5 keys[2].passphrase: is only used with pkcs12File',
    ]);
  });

  test('listen addresses', () => {
    const text = `environments: [ { id: prod } ]\nserver:\n  ingest: { listen: "8080" }\n  admin: { listen: "127.0.0.1:99999" }\n`;
    assert.deepEqual(problems(text), [
      'gateway.yaml:3 server.ingest.listen: must be host:port, for example 127.0.0.1:8080 or [::1]:8080',
      'gateway.yaml:4 server.admin.listen: must be host:port, for example 127.0.0.1:8080 or [::1]:8080',
    ]);
    assert.deepEqual(problems('environments: [ { id: prod } ]\nserver:\n  ingest: { listen: "127.0.0.1:9000" }\n  admin: { listen: "127.0.0.1:9000" }\n'), [
      'gateway.yaml:4 server.admin.listen: is the same address as server.ingest.listen',
    ]);
  });

  test('startAt and source fields per type', () => {
    assert.deepEqual(problems(base + subscription('    startAt: yesterday\n')), [
      'gateway.yaml:17 subscriptions[0].startAt: must be latest, earliest or an ISO-8601 time with a zone, for example 2026-01-31T00:00:00Z',
    ]);
    const text = `environments: [ { id: prod } ]\nsources:\n  - { id: kc, type: keycloak, environment: prod }\n  - { id: p1, type: pingone, environment: prod, secret: s }\n`;
    assert.deepEqual(problems(text), [
      'gateway.yaml:3 sources[0].secret: is required for type keycloak',
      'gateway.yaml:4 sources[1].secret: is not used by type pingone',
      'gateway.yaml:4 sources[1]: type pingone needs exactly one of token (bearer) or basicAuth',
    ]);
  });
});

describe('files that are not a configuration', () => {
  test('not YAML', () => {
    const found = problems('environments:\n  - id: prod\n   bad: [1, 2\n');
    assert.ok(found.length >= 1);
    for (const line of found) assert.match(line, /^gateway\.yaml:\d+ YAML syntax: \S/);
  });

  test('a duplicate key in one map', () => {
    assert.deepEqual(problems('environments: []\nenvironments: []\n'), ['gateway.yaml:2 YAML syntax: Map keys must be unique']);
  });

  test('empty, a list, a scalar', () => {
    assert.deepEqual(problems(''), ['gateway.yaml: the file is empty; it must be a map of settings such as server, environments and subscriptions']);
    assert.deepEqual(problems('# only a comment\n'), ['gateway.yaml: the file is empty; it must be a map of settings such as server, environments and subscriptions']);
    assert.deepEqual(problems('- a\n- b\n'), ['gateway.yaml:1 (top level): must be a map of settings, not a list']);
    assert.deepEqual(problems('hello\n'), ['gateway.yaml:1 (top level): must be a map of settings, not a single value']);
  });

  test('a __proto__ key is an unknown key and pollutes nothing', () => {
    const found = problems(`${base}${subscription('    __proto__: { polluted: 1 }\n')}`);
    assert.equal(found.length, 1);
    assert.match(found[0]!, /^gateway\.yaml:17 subscriptions\[0\]\.__proto__: unknown key/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('secrets never appear in problems', () => {
  test('a short token from the environment is refused without its value', () => {
    const text = 'environments: [ { id: prod } ]\nauth:\n  tokens:\n    - { name: a, token: "${env:TOKEN}", scopes: [ingest] }\n';
    const found = problems(text, { TOKEN: 'sekrit-42' });
    assert.deepEqual(found, ['gateway.yaml:4 auth.tokens[0].token: must be at least 16 characters']);
  });
});

describe('storage.backend jetstream', () => {
  test('needs storage.jetstream, and a client certificate needs its key', () => {
    const found = problems(`storage: { backend: jetstream }\n${base}${subscription()}`);
    assert.equal(found.length, 1);
    assert.match(found[0]!, /storage\.jetstream: is required for backend jetstream/);
    const tls = problems(`storage: { backend: jetstream, jetstream: { servers: ["nats://127.0.0.1:4222"], tls: { certFile: c.pem } } }\n${base}${subscription()}`);
    assert.equal(tls.length, 1);
    assert.match(tls[0]!, /storage\.jetstream\.tls: needs both certFile and keyFile/);
  });
});

describe('format ELASTICSEARCH', () => {
  test('needs its index, HTTPS and NDJSON; its options belong to it alone', () => {
    assert.deepEqual(problems(base + subscription('    format: ELASTICSEARCH\n')), ['gateway.yaml:12 subscriptions[0].elasticsearch: is required for format ELASTICSEARCH: { index, pipeline }']);
    assert.deepEqual(problems(base + subscription('    format: ELASTICSEARCH\n    elasticsearch: { index: idp }\n    payloadOptions: { payloadFormat: { https: { format: JSON_ARRAY } } }\n')), [
      'gateway.yaml:19 subscriptions[0].payloadOptions.payloadFormat.https.format: must be ND_JSON for format ELASTICSEARCH (a _bulk body is NDJSON)',
    ]);
    assert.deepEqual(problems(base + subscription('    elasticsearch: { index: idp }\n')), ['gateway.yaml:17 subscriptions[0].elasticsearch: is only used with format ELASTICSEARCH']);
    const tcp = base + '  - id: s1\n    environment: prod\n    protocol: TCP_IP\n    format: ELASTICSEARCH\n    connectionDetails: { url: "tls://127.0.0.1:6514" }\n    elasticsearch: { index: idp }\n    filterOptions: { includedActionTypes: ["*"] }\n';
    assert.deepEqual(problems(tcp), ['gateway.yaml:15 subscriptions[0].format: ELASTICSEARCH needs protocol HTTPS (the _bulk API)']);
  });

  test('an index name Elasticsearch would refuse, or a placeholder other than the event\'s date, names the field', () => {
    const index = (name: string) => problems(base + subscription(`    format: ELASTICSEARCH\n    elasticsearch: { index: "${name}" }\n`));
    assert.deepEqual(index('IDP-${recordedAt:yyyy.MM}'), ['gateway.yaml:18 subscriptions[0].elasticsearch.index: must be lower case (Elasticsearch index names are)']);
    assert.deepEqual(index('idp-${recordedAt:yyyy/MM}'), ['gateway.yaml:18 subscriptions[0].elasticsearch.index: unknown reference "${recordedAt:yyyy/MM}": use ${env:NAME}, ${env:NAME:-default} or ${file:/path} (write $${ for a literal ${)']);
    assert.deepEqual(index('idp-${id}'), ['gateway.yaml:18 subscriptions[0].elasticsearch.index: unknown reference "${id}": use ${env:NAME}, ${env:NAME:-default} or ${file:/path} (write $${ for a literal ${)']);
    assert.deepEqual(index('idp-${recordedAt:yyyy.MM.dd}'), []);
    // A reference is resolved first; what it gives is checked like the rest.
    assert.deepEqual(problems(base + subscription('    format: ELASTICSEARCH\n    elasticsearch: { index: "idp-${env:SUFFIX}" }\n'), { SUFFIX: 'Prod' }), ['gateway.yaml:18 subscriptions[0].elasticsearch.index: must be lower case (Elasticsearch index names are)']);
  });
});

describe('oauth2', () => {
  const oauth2 = '    oauth2: { tokenUrl: "https://login.example/token", clientId: app, clientSecret: s3cret-value }\n';
  test('one way to authenticate, HTTPS only, a token URL like a destination URL', () => {
    assert.deepEqual(problems(base + subscription(oauth2)), []);
    assert.deepEqual(problems(base + subscription(`${oauth2}    basicAuth: { username: u, password: p }\n`)), ['gateway.yaml:17 subscriptions[0].oauth2: and basicAuth both set the Authorization header; use one']);
    const withHeader = base + subscription(oauth2).replace('url: "https://127.0.0.1:9000/services/collector" }', 'url: "https://127.0.0.1:9000/x", headers: { Authorization: "Bearer fixed" } }');
    assert.deepEqual(problems(withHeader), ['gateway.yaml:14 subscriptions[0].httpEndpoint.headers.Authorization: is set by oauth2 (a bearer token); remove it']);
    assert.deepEqual(problems(base + subscription(oauth2.replace('https://login.example/token', 'https://user:pw@login.example/token'))), ['gateway.yaml:17 subscriptions[0].oauth2.tokenUrl: must not contain credentials; use basicAuth or httpEndpoint.headers']);
    const tcp = base + '  - id: s1\n    environment: prod\n    protocol: TCP_IP\n    connectionDetails: { url: "tls://127.0.0.1:6514" }\n' + oauth2 + '    filterOptions: { includedActionTypes: ["*"] }\n';
    assert.deepEqual(problems(tcp), ['gateway.yaml:16 subscriptions[0].oauth2: is only used with protocol HTTPS']);
  });

  test('a token URL the network policy refuses is refused like a destination', () => {
    const text = base.replace('subscriptions:\n', 'network: { denyPrivateDestinations: true }\nsubscriptions:\n') + subscription(oauth2.replace('https://login.example/token', 'https://169.254.169.254/latest/api/token'));
    assert.deepEqual(problems(text).filter((line) => line.includes('oauth2')), ['gateway.yaml:18 subscriptions[0].oauth2.tokenUrl: is refused: 169.254.169.254:443 is a private or link-local address (network.destinations.denyPrivate)']);
  });
});

describe('format OTLP', () => {
  test('needs HTTPS; otlp.encoding, not the payload format, chooses the body', () => {
    assert.deepEqual(problems(base + subscription('    format: OTLP\n    otlp: { encoding: json }\n')), []);
    assert.deepEqual(problems(base + subscription('    format: OTLP\n    otlp: { encoding: xml }\n')), ['gateway.yaml:18 subscriptions[0].otlp.encoding: must be one of: protobuf, json']);
    assert.deepEqual(problems(base + subscription('    format: OTLP\n    payloadOptions: { payloadFormat: { https: { format: ND_JSON, prettyPrint: true } } }\n')), [
      'gateway.yaml:18 subscriptions[0].payloadOptions.payloadFormat.https.format: is not used with format OTLP: otlp.encoding chooses protobuf or JSON',
      'gateway.yaml:18 subscriptions[0].payloadOptions.payloadFormat.https.prettyPrint: is not used with format OTLP: otlp.encoding chooses protobuf or JSON',
      'gateway.yaml:18 subscriptions[0].payloadOptions.payloadFormat.https.prettyPrint: only applies to format JSON_ARRAY',
    ]);
    const tcp = base + '  - id: s1\n    environment: prod\n    protocol: TCP_IP\n    format: OTLP\n    connectionDetails: { url: "tls://127.0.0.1:6514" }\n    filterOptions: { includedActionTypes: ["*"] }\n';
    assert.deepEqual(problems(tcp), ['gateway.yaml:15 subscriptions[0].format: OTLP needs protocol HTTPS (OTLP/HTTP, /v1/logs)']);
  });
});

describe('format OCSF', () => {
  test('over TCP, one OCSF event per line (JSON_DOC); its version is one the mapping is checked against', () => {
    const tcp = (format: string) => base + `  - id: s1\n    environment: prod\n    protocol: TCP_IP\n    format: OCSF\n    connectionDetails: { url: "tls://127.0.0.1:6514" }\n    filterOptions: { includedActionTypes: ["*"] }\n    payloadOptions: { payloadFormat: { tcp: { format: ${format} } } }\n`;
    assert.deepEqual(problems(tcp('JSON_DOC')), []);
    assert.deepEqual(problems(tcp('RFC_LOGLINE')), ['gateway.yaml:18 subscriptions[0].payloadOptions.payloadFormat.tcp.format: must be JSON_DOC for format OCSF (one OCSF event per line)']);
    assert.deepEqual(problems(base + subscription('    format: OCSF\n    ocsf: { version: 1.0.0 }\n')), ['gateway.yaml:18 subscriptions[0].ocsf.version: must be one of: 1.1.0, 1.3.0']);
  });
});

describe('formats CEF and LEEF', () => {
  test('over TCP each line is a syslog message (RFC_LOGLINE); over HTTPS the payload format does not apply', () => {
    const tcp = (format: string, encoding: string) => base + `  - id: s1\n    environment: prod\n    protocol: TCP_IP\n    format: ${format}\n    connectionDetails: { url: "tls://127.0.0.1:6514" }\n    filterOptions: { includedActionTypes: ["*"] }\n    payloadOptions: { payloadFormat: { tcp: { format: ${encoding} } } }\n`;
    assert.deepEqual(problems(tcp('CEF', 'RFC_LOGLINE')), []);
    assert.deepEqual(problems(tcp('LEEF', 'JSON_DOC')), ['gateway.yaml:18 subscriptions[0].payloadOptions.payloadFormat.tcp.format: must be RFC_LOGLINE for format LEEF (each line the syslog message)']);
    assert.deepEqual(problems(base + subscription('    format: CEF\n    payloadOptions: { payloadFormat: { https: { format: JSON_ARRAY } } }\n')), ['gateway.yaml:18 subscriptions[0].payloadOptions.payloadFormat.https.format: is not used with format CEF: the body is CEF lines']);
  });
});
