// The one schema for the configuration file (SPEC §10) and the subscription object (SPEC §4).
// The same TypeBox objects validate API bodies later, so the file and the API never disagree.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

/** Ids end up in file names, metric labels and URL paths: keep them to a safe alphabet. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', errorMessage: 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit' });
const NonEmpty = Type.String({ minLength: 1 });
const Reference = Type.Object({ id: Id }, strict);
// Header names and values are checked in the cross-field rules, where the message can name the header.
const Headers = Type.Record(Type.String(), Type.String());

function Enum<const T extends string[]>(values: T, options: { default?: T[number] } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values, ...options });
}
function Int(minimum: number, maximum: number, defaultValue?: number) {
  return Type.Integer({ minimum, maximum, ...(defaultValue === undefined ? {} : { default: defaultValue }) });
}
/**
 * An object that may be left out: Ajv (useDefaults) inserts `{}` and then its members' defaults
 * before checking `required`, so the static type is the filled-in one.
 */
function Defaulted<T extends TSchema>(schema: T): T {
  return { ...schema, default: {} };
}

// ---- §4 subscription ---------------------------------------------------------------------------

export const ActionTypePattern = Type.String({
  pattern: '^[A-Za-z0-9_.:*-]+$',
  errorMessage: 'must be an action type or a "*" glob such as USER.* (no regular expressions)',
});

export const FilterOptionsSchema = Type.Object({
  includedActionTypes: Type.Array(ActionTypePattern, { minItems: 1 }),
  includedApplications: Type.Optional(Type.Array(Reference, { maxItems: 10 })),
  includedPopulations: Type.Optional(Type.Array(Reference, { maxItems: 10 })),
  includedTags: Type.Optional(Type.Array(NonEmpty)),
  ipAddressExposed: Type.Boolean({ default: false }),
  userAgentExposed: Type.Boolean({ default: false }),
}, strict);

export const PayloadOptionsSchema = Type.Object({
  maximumPayloadLimit: Defaulted(Type.Object({
    type: Enum(['EVENTS_PER_PAYLOAD', 'KB_PER_PAYLOAD'], { default: 'EVENTS_PER_PAYLOAD' }),
    // The range depends on `type`; checked in cross-field rules so the message can say which.
    size: Type.Optional(Type.Integer()),
  }, strict)),
  payloadFormat: Defaulted(Type.Object({
    https: Defaulted(Type.Object({
      format: Type.Optional(Enum(['JSON_ARRAY', 'ND_JSON'])),
      prettyPrint: Type.Boolean({ default: false }),
    }, strict)),
    tcp: Defaulted(Type.Object({
      format: Enum(['JSON_DOC', 'RFC_LOGLINE'], { default: 'JSON_DOC' }),
      // RFC_LOGLINE only: RFC 6587 octet counting, or one message per line for receivers that split on newlines.
      framing: Enum(['OCTET_COUNTING', 'NEWLINE'], { default: 'OCTET_COUNTING' }),
      additionalAttributes: Type.Optional(Type.Record(Type.String(), Type.String())),
    }, strict)),
  }, strict)),
  flushMs: Int(0, 2000, 2000),
}, strict);

export const SubscriptionSchema = Type.Object({
  id: Id,
  name: Type.Optional(NonEmpty),
  environment: Id,
  enabled: Type.Boolean({ default: true }),
  protocol: Enum(['HTTPS', 'TCP_IP'], { default: 'HTTPS' }),
  format: Enum(['ACTIVITY', 'SPLUNK', 'NEWRELIC', 'TEMPLATE', 'SET', 'ELASTICSEARCH', 'OTLP', 'OCSF', 'CEF', 'LEEF'], { default: 'ACTIVITY' }),
  startAt: Type.Optional(Type.String({ minLength: 1 })),
  httpEndpoint: Type.Optional(Type.Object({ url: NonEmpty, headers: Type.Optional(Headers) }, strict)),
  basicAuth: Type.Optional(Type.Object({ username: NonEmpty, password: Type.String() }, strict)),
  // OAuth2 client credentials (RFC 6749 §4.4): a bearer token on each HTTPS delivery; the secret is write-only in the API.
  oauth2: Type.Optional(Type.Object({
    tokenUrl: NonEmpty,
    clientId: NonEmpty,
    clientSecret: Type.String({ minLength: 1 }),
    scope: Type.Optional(NonEmpty),
    // How the client authenticates to the token endpoint: HTTP basic (RFC 6749 §2.3.1, every server takes it) or form fields.
    clientAuthentication: Enum(['basic', 'body'], { default: 'basic' }),
  }, strict)),
  connectionDetails: Type.Optional(Type.Object({ url: NonEmpty }, strict)),
  verifyTlsCertificates: Type.Boolean({ default: true }),
  tlsClientAuthKeyPair: Type.Optional(Reference),
  trustedCertificates: Type.Optional(Type.Array(Reference)),
  filterOptions: FilterOptionsSchema,
  payloadOptions: Defaulted(PayloadOptionsSchema),
  splunk: Type.Optional(Type.Object({
    index: Type.Optional(NonEmpty),
    source: Type.Optional(NonEmpty),
    sourcetype: Type.Optional(NonEmpty),
    host: Type.Optional(NonEmpty),
    // HEC indexer acknowledgement: the cursor moves only past batches HEC says are indexed.
    indexerAck: Type.Boolean({ default: false }),
    ackTimeoutMs: Int(1000, 3_600_000, 300_000),
  }, strict)),
  newRelic: Defaulted(Type.Object({ api: Enum(['logs', 'events'], { default: 'logs' }) }, strict)),
  // format ELASTICSEARCH: the index or data stream (`${recordedAt:yyyy.MM.dd}` date parts allowed) and an ingest pipeline.
  elasticsearch: Type.Optional(Type.Object({ index: NonEmpty, pipeline: Type.Optional(NonEmpty) }, strict)),
  // format OTLP: OpenTelemetry logs over HTTP (/v1/logs), protobuf or JSON.
  otlp: Defaulted(Type.Object({ encoding: Enum(['protobuf', 'json'], { default: 'protobuf' }) }, strict)),
  // format OCSF: the OCSF schema version (what Security Lake custom sources take by default), and the IdP's payload as raw_data.
  ocsf: Defaulted(Type.Object({ version: Enum(['1.1.0', '1.3.0'], { default: '1.1.0' }), includeRaw: Type.Boolean({ default: false }) }, strict)),
  // format TEMPLATE: the body with ${name} placeholders (the URL and header values may hold them too).
  template: Type.Optional(Type.Object({
    body: NonEmpty,
    contentType: Enum(['application/json', 'application/x-www-form-urlencoded'], { default: 'application/json' }),
  }, strict)),
  // format SET: Security Event Tokens signed with a key of usage SIGNING.
  set: Type.Optional(Type.Object({ issuer: NonEmpty, audience: Type.Optional(NonEmpty), signingKey: Reference }, strict)),
  // Signature headers on each HTTPS delivery; the secret is write-only in the API.
  signing: Type.Optional(Type.Object({ type: Enum(['keycloak', 'hub', 'standard-webhooks']), secret: Type.String({ minLength: 16 }) }, strict)),
  delivery: Defaulted(Type.Object({
    compression: Enum(['none', 'gzip'], { default: 'none' }),
    maxInFlight: Int(1, 32, 1),
    timeoutMs: Int(100, 600_000, 30_000),
  }, strict)),
}, strict);

// ---- §10 the file ------------------------------------------------------------------------------

const ListenerTls = Type.Object({ certFile: NonEmpty, keyFile: NonEmpty, clientCaFile: Type.Optional(NonEmpty) }, strict);
const Listener = (listen: string) => Type.Object({
  listen: Type.String({ default: listen, minLength: 1 }),
  tls: Type.Optional(ListenerTls),
}, strict);

export const ConfigSchema = Type.Object({
  server: Defaulted(Type.Object({
    ingest: Defaulted(Listener('127.0.0.1:8080')),
    admin: Defaulted(Listener('127.0.0.1:8081')),
    maxBodyKB: Int(1, 65_536, 4096),
    maxConnections: Int(1, 100_000, 1000),
    headersTimeoutMs: Int(1000, 600_000, 10_000),
    requestTimeoutMs: Int(1000, 3_600_000, 60_000),
    deliveryThread: Enum(['auto', 'on', 'off'], { default: 'auto' }),
  }, strict)),
  storage: Defaulted(Type.Object({
    dir: Type.String({ default: './data', minLength: 1 }),
    maxAgeHours: Int(1, 24 * 365, 168),
    maxMB: Int(16, 16 * 1024 * 1024, 10_240),
    whenFull: Enum(['reject', 'drop-oldest'], { default: 'reject' }),
    // The newest batches kept in memory (file journal): a subscription within them never reads disk.
    memoryTailMB: Int(1, 1024, 32),
    backend: Enum(['file', 'jetstream'], { default: 'file' }),
    // Several gateways sharing one NATS JetStream journal, configuration and delivery work (README, Running several gateways).
    jetstream: Type.Optional(Type.Object({
      servers: Type.Array(NonEmpty, { minItems: 1 }),
      stream: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$', default: 'siem-gateway', errorMessage: 'must be 1-32 letters, digits, "_" or "-", starting with a letter or digit' }),
      replicas: Int(1, 5, 1),
      credentialsFile: Type.Optional(NonEmpty),
      tls: Type.Optional(Type.Object({ caFile: Type.Optional(NonEmpty), certFile: Type.Optional(NonEmpty), keyFile: Type.Optional(NonEmpty) }, strict)),
      /** This process in lease values, metrics and /readyz; default `<hostname>-<pid>`. */
      processName: Type.Optional(Id),
      leaseTtlSeconds: Int(3, 300, 10),
    }, strict)),
  }, strict)),
  auth: Defaulted(Type.Object({
    tokens: Type.Array(Type.Object({
      name: Id,
      token: Type.String({ minLength: 16, errorMessage: 'must be at least 16 characters' }),
      scopes: Type.Array(Enum(['ingest', 'admin', 'metrics']), { minItems: 1, uniqueItems: true }),
      environments: Type.Optional(Type.Array(Id, { minItems: 1 })),
    }, strict), { default: [] }),
  }, strict)),
  environments: Type.Array(Type.Object({ id: Id, name: Type.Optional(NonEmpty) }, strict), { minItems: 1 }),
  keys: Type.Array(Type.Object({
    id: Id,
    environment: Id,
    usage: Enum(['OUTBOUND_MTLS', 'SIGNING'], { default: 'OUTBOUND_MTLS' }),
    certFile: Type.Optional(NonEmpty),
    keyFile: Type.Optional(NonEmpty),
    pkcs12File: Type.Optional(NonEmpty),
    passphrase: Type.Optional(Type.String()),
  }, strict), { default: [] }),
  certificates: Type.Array(Type.Object({ id: Id, environment: Id, file: NonEmpty }, strict), { default: [] }),
  sources: Type.Array(Type.Object({
    id: Id,
    type: Enum(['pingone', 'keycloak', 'asgardeo', 'am-webhook']),
    environment: Id,
    secret: Type.Optional(Type.String({ minLength: 1 })),
    token: Type.Optional(Type.String({ minLength: 1 })),
    basicAuth: Type.Optional(Type.Object({ username: NonEmpty, password: Type.String({ minLength: 1 }) }, strict)),
    header: Type.Optional(NonEmpty),
    fieldMap: Type.Optional(Type.Record(Type.String(), NonEmpty)),
    // keycloak: the webhook's HMAC algorithm.
    algorithm: Type.Optional(Enum(['sha256', 'sha1'])),
    // An event id seen again within this window is acknowledged but stored once; 0 turns it off.
    dedupeWindowSeconds: Int(0, 7 * 86_400, 600),
  }, strict), { default: [] }),
  subscriptions: Type.Array(SubscriptionSchema, { default: [] }),
  logging: Defaulted(Type.Object({
    level: Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], { default: 'info' }),
    deliveryFile: Type.Optional(NonEmpty),
  }, strict)),
  metrics: Defaulted(Type.Object({ public: Type.Boolean({ default: false }) }, strict)),
  // Seals the secrets of API-managed objects at rest; rotation: the old key moves to previousEncryptionKeys.
  management: Defaulted(Type.Object({
    encryptionKey: Type.Optional(Type.String({ minLength: 16, errorMessage: 'must be at least 16 characters (use ${env:…} or ${file:…})' })),
    previousEncryptionKeys: Type.Array(Type.String({ minLength: 16 }), { default: [] }),
    // PKCS#12 key derivation at most this many iterations (files sent through the API and the file's own).
    pkcs12MaxIterations: Int(1, 10_000_000, 10_000),
  }, strict)),
  network: Defaulted(Type.Object({
    // Where deliveries, test-sends and replays may connect; entries are checked in the cross-field rules.
    destinations: Defaulted(Type.Object({
      allow: Type.Array(Type.String(), { default: [] }),
      deny: Type.Array(Type.String(), { default: [] }),
      denyPrivate: Type.Boolean({ default: false }),
      denyLoopback: Type.Boolean({ default: false }),
    }, strict)),
    // SPEC §10's shorthand: true sets both destinations.denyPrivate and destinations.denyLoopback.
    denyPrivateDestinations: Type.Optional(Type.Boolean()),
  }, strict)),
  shutdownTimeoutMs: Int(0, 600_000, 10_000),
}, strict);

/** The file as validated, defaults filled in. */
export type RawConfig = Static<typeof ConfigSchema>;
export type RawSubscription = Static<typeof SubscriptionSchema>;
