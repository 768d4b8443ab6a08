// Rules the schema cannot express: references between sections, uniqueness, ranges that depend on
// another field, and combinations that are unsafe. Each finding names its path; none quotes a value
// that could be a secret.
import type { ConfigPath } from './config-path.js';
import { defaultHttpsFormat } from './defaults.js';
import { compileIndexName } from './index-name.js';
import { jsonErrorOffset } from '../util/json-error-offset.js';
import { fillWithStandIns, hasPlaceholders, parseTemplate, splitUrlTemplate, TemplateSyntaxError, type Landing, type ParsedTemplate } from './placeholder-template.js';
import { isStructuredDataName, parseDestinationUrl, parseListenAddress, parseStartAt } from './parse-values.js';
import type { RawConfig, RawSubscription } from './schema.js';
import { destinationEntryProblem, destinationPolicyOf, type DestinationPolicy, type ListenerAddress } from '../network/destination-policy.js';

export interface RuleReporter {
  problem(path: ConfigPath, message: string): void;
  warning(path: ConfigPath, message: string): void;
}

export const maxSubscriptionsPerEnvironment = 50;
export const payloadLimits = { EVENTS_PER_PAYLOAD: { min: 1, max: 500 }, KB_PER_PAYLOAD: { min: 1, max: 4096 } } as const;

/**
 * `boundListeners`: the gateway's listeners as bound (a port 0 in the file is known only then), so a
 * destination that is the gateway itself is refused by address as well.
 */
export function checkCrossFieldRules(config: RawConfig, report: RuleReporter, boundListeners: readonly ListenerAddress[] = []): void {
  checkListeners(config, report);
  const policy = checkNetwork(config, report, boundListeners);
  const environments = uniqueIds(config.environments, ['environments'], 'environment', report);
  uniqueIds(config.keys, ['keys'], 'key', report, true);
  uniqueIds(config.certificates, ['certificates'], 'certificate', report, true);
  uniqueIds(config.sources, ['sources'], 'source', report);
  uniqueIds(config.subscriptions, ['subscriptions'], 'subscription', report);
  checkTokens(config, environments, report);
  checkStorage(config, report);

  const knownEnvironment = (environment: string, path: ConfigPath) => {
    if (!environments.has(environment)) report.problem(path, `unknown environment "${environment}"`);
  };
  config.keys.forEach((key, index) => {
    const path = ['keys', index];
    knownEnvironment(key.environment, [...path, 'environment']);
    const pem = key.certFile !== undefined || key.keyFile !== undefined;
    if (pem && key.pkcs12File !== undefined) report.problem(path, 'give either certFile and keyFile (PEM) or pkcs12File, not both');
    else if (key.pkcs12File === undefined && key.usage === 'SIGNING' && key.keyFile === undefined) report.problem(path, 'needs keyFile (PEM, certFile optional), or pkcs12File');
    else if (key.pkcs12File === undefined && key.usage !== 'SIGNING' && (key.certFile === undefined || key.keyFile === undefined)) {
      report.problem(path, 'needs certFile and keyFile (PEM), or pkcs12File');
    }
    if (key.passphrase !== undefined && key.pkcs12File === undefined) report.problem([...path, 'passphrase'], 'is only used with pkcs12File');
  });
  config.certificates.forEach((certificate, index) => knownEnvironment(certificate.environment, ['certificates', index, 'environment']));
  config.sources.forEach((source, index) => {
    knownEnvironment(source.environment, ['sources', index, 'environment']);
    checkSource(source, ['sources', index], report);
  });

  const perEnvironment = new Map<string, number>();
  config.subscriptions.forEach((subscription, index) => {
    const path = ['subscriptions', index];
    knownEnvironment(subscription.environment, [...path, 'environment']);
    const count = (perEnvironment.get(subscription.environment) ?? 0) + 1;
    perEnvironment.set(subscription.environment, count);
    if (count === maxSubscriptionsPerEnvironment + 1) {
      report.problem([...path, 'environment'], `environment "${subscription.environment}" has more than ${maxSubscriptionsPerEnvironment} subscriptions`);
    }
    checkSubscription(config, subscription, path, report, policy);
  });
}

/** network.destinations entries, and the policy they make for the destinations' literal addresses. */
function checkNetwork({ network, server }: RawConfig, report: RuleReporter, boundListeners: readonly ListenerAddress[]): DestinationPolicy {
  for (const list of ['allow', 'deny'] as const) {
    network.destinations[list].forEach((entry, index) => {
      const problem = destinationEntryProblem(entry);
      if (problem !== undefined) report.problem(['network', 'destinations', list, index], problem);
    });
  }
  const listeners = [...boundListeners];
  for (const name of ['ingest', 'admin'] as const) {
    const parsed = parseListenAddress(server[name].listen);
    if (parsed.ok && parsed.value.port !== 0) listeners.push(parsed.value);
  }
  return destinationPolicyOf(network, () => listeners);
}

function destinationPort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'http:' ? 80 : 443;
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

/**
 * The ids of `items`, each reported where it repeats. `perEnvironment`: ids repeat only within one
 * environment (key pairs and certificates: two environments may each have a `corp-ca`).
 */
function uniqueIds(items: readonly { id: string; environment?: string }[], path: ConfigPath, what: string, report: RuleReporter, perEnvironment = false): Set<string> {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const key = perEnvironment ? `${item.environment}/${item.id}` : item.id;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else report.problem([...path, index, 'id'], `duplicate ${what} id "${item.id}"${perEnvironment ? ` in environment "${item.environment}"` : ''} (first at ${String(path[0])}[${first}])`);
  });
  return new Set(seen.keys());
}

function checkStorage({ storage }: RawConfig, report: RuleReporter): void {
  if (storage.backend === 'jetstream' && storage.jetstream === undefined) report.problem(['storage', 'jetstream'], 'is required for backend jetstream (servers at least)');
  if (storage.backend !== 'jetstream' && storage.jetstream !== undefined) report.warning(['storage', 'jetstream'], 'is only used with backend jetstream');
  const tls = storage.jetstream?.tls;
  if (tls && (tls.certFile === undefined) !== (tls.keyFile === undefined)) report.problem(['storage', 'jetstream', 'tls'], 'needs both certFile and keyFile for a client certificate, or neither');
}

function checkListeners(config: RawConfig, report: RuleReporter): void {
  const addresses = new Map<string, string>();
  for (const name of ['ingest', 'admin'] as const) {
    const path = ['server', name, 'listen'];
    const parsed = parseListenAddress(config.server[name].listen);
    if (!parsed.ok) {
      report.problem(path, parsed.message);
      continue;
    }
    const key = `${parsed.value.host}:${parsed.value.port}`;
    const other = addresses.get(key);
    if (other !== undefined && parsed.value.port !== 0) report.problem(path, `is the same address as server.${other}.listen`);
    addresses.set(key, name);
  }
}

function checkTokens(config: RawConfig, environments: Set<string>, report: RuleReporter): void {
  const names = new Map<string, number>();
  const values = new Map<string, number>();
  config.auth.tokens.forEach((token, index) => {
    const path = ['auth', 'tokens', index];
    const sameName = names.get(token.name);
    if (sameName !== undefined) report.problem([...path, 'name'], `duplicate token name "${token.name}" (first at auth.tokens[${sameName}])`);
    names.set(token.name, index);
    // Two entries with one secret would make scopes ambiguous. Never print the value itself.
    const sameValue = values.get(token.token);
    if (sameValue !== undefined) report.problem([...path, 'token'], `has the same value as auth.tokens[${sameValue}].token; every token must be distinct`);
    values.set(token.token, index);
    token.environments?.forEach((environment, position) => {
      if (!environments.has(environment)) report.problem([...path, 'environments', position], `unknown environment "${environment}"`);
    });
  });
  if (!config.auth.tokens.some((token) => token.scopes.includes('ingest'))) {
    report.warning(['auth', 'tokens'], 'no token has the ingest scope: every ingest request will be refused with 401');
  }
}

const sourceFields = {
  pingone: { required: [], allowed: ['token', 'basicAuth'] },
  keycloak: { required: ['secret'], allowed: ['secret'] },
  asgardeo: { required: ['secret'], allowed: ['secret'] },
  'am-webhook': { required: ['token'], allowed: ['token', 'header', 'fieldMap'] },
} as const;

function checkSource(source: RawConfig['sources'][number], path: ConfigPath, report: RuleReporter): void {
  const rule = sourceFields[source.type];
  for (const field of rule.required) {
    if (source[field] === undefined) report.problem([...path, field], `is required for type ${source.type}`);
  }
  if (source.algorithm !== undefined && source.type !== 'keycloak') report.problem([...path, 'algorithm'], `is not used by type ${source.type}`);
  for (const field of ['secret', 'token', 'basicAuth', 'header', 'fieldMap'] as const) {
    if (source[field] !== undefined && !(rule.allowed as readonly string[]).includes(field)) {
      report.problem([...path, field], `is not used by type ${source.type}`);
    }
  }
  if (source.type === 'pingone' && (source.token === undefined) === (source.basicAuth === undefined)) {
    report.problem(path, 'type pingone needs exactly one of token (bearer) or basicAuth');
  }
}

function checkSubscription(config: RawConfig, subscription: RawSubscription, path: ConfigPath, report: RuleReporter, policy: DestinationPolicy): void {
  const { protocol, environment } = subscription;
  if (subscription.signing !== undefined) {
    if (protocol !== 'HTTPS') report.problem([...path, 'signing'], 'is only used with protocol HTTPS');
    else if (subscription.signing.type === 'standard-webhooks' && !/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(subscription.signing.secret)) report.problem([...path, 'signing', 'secret'], 'must be whsec_ followed by the base64 key, as Standard Webhooks secrets are');
  }
  const destinationField = protocol === 'HTTPS' ? 'httpEndpoint' : 'connectionDetails';
  const otherField = protocol === 'HTTPS' ? 'connectionDetails' : 'httpEndpoint';
  const destination = subscription[destinationField];
  if (destination === undefined) {
    report.problem([...path, destinationField], `is required for protocol ${protocol}`);
  } else {
    const parsed = parseDestinationUrl(destination.url, protocol);
    const refused = parsed.ok ? policy.literalRefusal(parsed.value.url.hostname, destinationPort(parsed.value.url)) : undefined;
    if (!parsed.ok) report.problem([...path, destinationField, 'url'], parsed.message);
    else if (refused !== undefined) report.problem([...path, destinationField, 'url'], `is refused: ${refused}`);
    else if (parsed.value.plaintext) report.warning([...path, destinationField, 'url'], `sends events unencrypted (${parsed.value.url.protocol}//); use only for a local collector`);
  }
  for (const [name, value] of Object.entries(subscription.httpEndpoint?.headers ?? {})) {
    const at = [...path, 'httpEndpoint', 'headers', name];
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) report.problem(at, 'is not a valid HTTP header name');
    else if (/[\r\n\0]/.test(value)) report.problem(at, 'must not contain line breaks or NUL');
  }
  if (subscription[otherField] !== undefined) report.problem([...path, otherField], `is not used with protocol ${protocol}`);
  if (protocol === 'TCP_IP' && subscription.basicAuth !== undefined) report.problem([...path, 'basicAuth'], 'is not used with protocol TCP_IP');
  checkOAuth2(subscription, path, report, policy);

  if (subscription.tlsClientAuthKeyPair !== undefined) {
    if (!subscription.verifyTlsCertificates) {
      report.problem([...path, 'tlsClientAuthKeyPair'], 'requires verifyTlsCertificates: true (a client key cannot be combined with untrusted mode)');
    }
    checkKeyReference(config, subscription.tlsClientAuthKeyPair.id, environment, 'OUTBOUND_MTLS', [...path, 'tlsClientAuthKeyPair', 'id'], report);
  }
  checkTemplate(subscription, path, report);
  checkSecurityEvents(config, subscription, path, report);
  checkElasticsearch(subscription, path, report);
  if (subscription.format === 'OCSF' && protocol === 'TCP_IP' && subscription.payloadOptions.payloadFormat.tcp.format !== 'JSON_DOC') report.problem([...path, 'payloadOptions', 'payloadFormat', 'tcp', 'format'], 'must be JSON_DOC for format OCSF (one OCSF event per line)');
  if (subscription.splunk?.indexerAck === true && (subscription.format !== 'SPLUNK' || protocol !== 'HTTPS')) report.problem([...path, 'splunk', 'indexerAck'], 'is only used with format SPLUNK over HTTPS');
  // Formats that frame their own bodies: the payload format does not apply.
  const ownBody = { OTLP: 'otlp.encoding chooses protobuf or JSON', CEF: 'the body is CEF lines', LEEF: 'the body is LEEF lines' } as Record<string, string | undefined>;
  const why = ownBody[subscription.format];
  if (why !== undefined) {
    if (subscription.format === 'OTLP' && protocol !== 'HTTPS') report.problem([...path, 'format'], 'OTLP needs protocol HTTPS (OTLP/HTTP, /v1/logs)');
    if (protocol === 'TCP_IP' && subscription.format !== 'OTLP' && subscription.payloadOptions.payloadFormat.tcp.format !== 'RFC_LOGLINE') report.problem([...path, 'payloadOptions', 'payloadFormat', 'tcp', 'format'], `must be RFC_LOGLINE for format ${subscription.format} (each line the syslog message)`);
    for (const name of ['format', 'prettyPrint'] as const) {
      if (subscription.payloadOptions.payloadFormat.https[name] !== undefined && subscription.payloadOptions.payloadFormat.https[name] !== false) report.problem([...path, 'payloadOptions', 'payloadFormat', 'https', name], `is not used with format ${subscription.format}: ${why}`);
    }
  }
  subscription.trustedCertificates?.forEach((reference, index) => {
    // Looked up in the subscription's environment only: another environment's ids are not named.
    const certificate = config.certificates.find((candidate) => candidate.id === reference.id && candidate.environment === environment);
    if (certificate === undefined) report.problem([...path, 'trustedCertificates', index, 'id'], `unknown certificate "${reference.id}" in environment "${environment}"`);
  });
  if (!subscription.verifyTlsCertificates) {
    report.warning([...path, 'verifyTlsCertificates'], 'is false: any server certificate is accepted (untrusted mode); events can be intercepted');
  }

  const limit = subscription.payloadOptions.maximumPayloadLimit;
  const range = payloadLimits[limit.type];
  if (limit.size === undefined) {
    if (limit.type === 'KB_PER_PAYLOAD') report.problem([...path, 'payloadOptions', 'maximumPayloadLimit', 'size'], 'is required for KB_PER_PAYLOAD (1..4096)');
  } else if (limit.size < range.min || limit.size > range.max) {
    report.problem([...path, 'payloadOptions', 'maximumPayloadLimit', 'size'], `must be ${range.min}..${range.max} for ${limit.type}`);
  }
  const https = subscription.payloadOptions.payloadFormat.https;
  const encoding = https.format ?? defaultHttpsFormat(subscription.format);
  if (protocol === 'HTTPS' && subscription.format === 'SPLUNK' && encoding === 'JSON_ARRAY' && destination !== undefined && /\/services\/collector(\/|$)/.test(safePath(destination.url))) {
    report.warning([...path, 'payloadOptions', 'payloadFormat', 'https', 'format'], 'is JSON_ARRAY for a Splunk HEC URL: HEC expects concatenated events; use ND_JSON');
  }
  if (https.prettyPrint && encoding === 'ND_JSON') {
    report.problem([...path, 'payloadOptions', 'payloadFormat', 'https', 'prettyPrint'], 'only applies to format JSON_ARRAY');
  }
  for (const name of Object.keys(subscription.payloadOptions.payloadFormat.tcp.additionalAttributes ?? {})) {
    if (!isStructuredDataName(name)) report.problem([...path, 'payloadOptions', 'payloadFormat', 'tcp', 'additionalAttributes', name], 'must be 1 to 32 printable ASCII characters without "=", space, "]" or \'"\' (an RFC 5424 SD-PARAM name)');
  }
  const startAt = parseStartAt(subscription.startAt);
  if (!startAt.ok) report.problem([...path, 'startAt'], startAt.message);
}

function checkKeyReference(config: RawConfig, id: string, environment: string, usage: RawConfig['keys'][number]['usage'], at: ConfigPath, report: RuleReporter): void {
  const key = config.keys.find((candidate) => candidate.id === id && candidate.environment === environment);
  if (key === undefined) report.problem(at, `unknown key "${id}" in environment "${environment}"`);
  else if (key.usage !== usage) report.problem(at, `key "${id}" has usage ${key.usage}; this needs a key with usage ${usage}`);
}

/** Parses a template, reporting a syntax problem at `at`; undefined when it has one. */
function parsed(text: string, landing: Landing, at: ConfigPath, report: RuleReporter): ParsedTemplate | undefined {
  try {
    return parseTemplate(text, landing);
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    report.problem(at, error.message);
    return undefined;
  }
}

/** Line and column (1-based) of a character offset. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** Format TEMPLATE: its template, and placeholders only where they are filled. */
function checkTemplate(subscription: RawSubscription, path: ConfigPath, report: RuleReporter): void {
  const { template, httpEndpoint } = subscription;
  const headers = Object.entries(httpEndpoint?.headers ?? {});
  // Elsewhere a ${name} is an unknown reference, reported when references are resolved.
  if (subscription.format !== 'TEMPLATE') {
    if (template !== undefined) report.problem([...path, 'template'], 'is only used with format TEMPLATE');
    return;
  }
  if (subscription.protocol !== 'HTTPS') report.problem([...path, 'format'], 'TEMPLATE needs protocol HTTPS');
  if (template === undefined) report.problem([...path, 'template'], 'is required for format TEMPLATE: { body, contentType }');
  else {
    const at = [...path, 'template', 'body'];
    const body = parsed(template.body, template.contentType === 'application/json' ? 'json' : 'form', at, report);
    if (body !== undefined && body.landing === 'json') {
      const filled = fillWithStandIns(body);
      try {
        JSON.parse(filled);
      } catch {
        report.problem(at, `is not valid JSON once its placeholders are filled (${lineAndColumn(filled, jsonErrorOffset(filled))} of the body)`);
      }
    }
  }
  if (httpEndpoint !== undefined && hasPlaceholders(httpEndpoint.url)) checkUrlTemplate(httpEndpoint.url, [...path, 'httpEndpoint', 'url'], report);
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'content-type') report.problem([...path, 'httpEndpoint', 'headers', name], 'is set by template.contentType for format TEMPLATE');
    else if (hasPlaceholders(value)) parsed(value, 'header', [...path, 'httpEndpoint', 'headers', name], report);
  }
}

/** Placeholders in a URL: in its path and query only (an event must never choose where it is sent), and the rest already URL-encoded. */
function checkUrlTemplate(url: string, at: ConfigPath, report: RuleReporter): void {
  const split = splitUrlTemplate(url);
  if (split === undefined) return; // the destination check reports it
  if (hasPlaceholders(split.origin)) {
    report.problem(at, 'may hold ${…} placeholders only in its path and query, not in the scheme, host or port');
    return;
  }
  const template = parsed(split.path, 'url', at, report);
  if (template === undefined) return;
  const filled = fillWithStandIns(template);
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(`${split.origin}${filled}`);
  } catch {
    return; // the destination check reports it
  }
  if (`${parsedUrl.pathname}${parsedUrl.search}` !== filled) report.problem(at, 'must be written URL-encoded around its placeholders (for example %20 for a space), with no #fragment');
}

/** Format SET: its issuer and a signing key of this environment. */
function checkSecurityEvents(config: RawConfig, subscription: RawSubscription, path: ConfigPath, report: RuleReporter): void {
  if (subscription.format !== 'SET') {
    if (subscription.set !== undefined) report.problem([...path, 'set'], 'is only used with format SET');
    return;
  }
  if (subscription.protocol !== 'HTTPS') report.problem([...path, 'format'], 'SET needs protocol HTTPS (RFC 8935 push)');
  if (subscription.set === undefined) report.problem([...path, 'set'], 'is required for format SET: { issuer, audience, signingKey: { id } }');
  else checkKeyReference(config, subscription.set.signingKey.id, subscription.environment, 'SIGNING', [...path, 'set', 'signingKey', 'id'], report);
}

/** Format ELASTICSEARCH: HTTPS, NDJSON, and an index name Elasticsearch accepts once its date parts are filled. */
function checkElasticsearch(subscription: RawSubscription, path: ConfigPath, report: RuleReporter): void {
  const { elasticsearch } = subscription;
  if (subscription.format !== 'ELASTICSEARCH') {
    if (elasticsearch !== undefined) report.problem([...path, 'elasticsearch'], 'is only used with format ELASTICSEARCH');
    return;
  }
  if (subscription.protocol !== 'HTTPS') report.problem([...path, 'format'], 'ELASTICSEARCH needs protocol HTTPS (the _bulk API)');
  if (subscription.payloadOptions.payloadFormat.https.format === 'JSON_ARRAY') report.problem([...path, 'payloadOptions', 'payloadFormat', 'https', 'format'], 'must be ND_JSON for format ELASTICSEARCH (a _bulk body is NDJSON)');
  if (elasticsearch === undefined) {
    report.problem([...path, 'elasticsearch'], 'is required for format ELASTICSEARCH: { index, pipeline }');
    return;
  }
  try {
    compileIndexName(elasticsearch.index);
  } catch (error) {
    report.problem([...path, 'elasticsearch', 'index'], (error as Error).message);
  }
}

/** OAuth2 client credentials: HTTPS only, one way to authenticate, and a token URL the network policy lets the gateway reach. */
function checkOAuth2(subscription: RawSubscription, path: ConfigPath, report: RuleReporter, policy: DestinationPolicy): void {
  const { oauth2 } = subscription;
  if (oauth2 === undefined) return;
  const at = [...path, 'oauth2'];
  if (subscription.protocol !== 'HTTPS') report.problem(at, 'is only used with protocol HTTPS');
  if (subscription.basicAuth !== undefined) report.problem(at, 'and basicAuth both set the Authorization header; use one');
  const authorization = Object.keys(subscription.httpEndpoint?.headers ?? {}).find((name) => name.toLowerCase() === 'authorization');
  if (authorization !== undefined) report.problem([...path, 'httpEndpoint', 'headers', authorization], 'is set by oauth2 (a bearer token); remove it');
  const parsed = parseDestinationUrl(oauth2.tokenUrl, 'HTTPS');
  if (!parsed.ok) report.problem([...at, 'tokenUrl'], parsed.message);
  else {
    const refused = policy.literalRefusal(parsed.value.url.hostname, destinationPort(parsed.value.url));
    if (refused !== undefined) report.problem([...at, 'tokenUrl'], `is refused: ${refused}`);
    else if (parsed.value.plaintext) report.warning([...at, 'tokenUrl'], 'sends the client secret unencrypted (http://); use only for a local token endpoint');
  }
}
