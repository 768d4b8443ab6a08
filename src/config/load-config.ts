// Reads the YAML file, resolves references, validates everything with one schema plus the
// cross-field rules, and returns the typed configuration, or every problem as one line each:
//   gateway.yaml:14 subscriptions[0].filterOptions.includedApplications: must have at most 10 items
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, isMap, isSeq, parseDocument } from 'yaml';
import { formatPath, jsonPointer, type ConfigPath } from './config-path.js';
import { checkCrossFieldRules } from './cross-field-rules.js';
import { defaultEventsPerPayload, defaultHttpsFormat } from './defaults.js';
import type { GatewayConfig, Subscription } from './gateway-config.js';
import { parseListenAddress, parseStartAt } from './parse-values.js';
import { isTemplateField, operatorReferences, resolveReferences } from './references.js';
import { asWritten, ReferenceCollector, type ResolvedReferences } from './written-form.js';
import { schemaProblems } from './schema-problems.js';
import type { RawConfig, RawSubscription } from './schema.js';
import { YamlLocator } from './yaml-locator.js';
import { ownListeners } from '../network/own-listeners.js';
import { KeyMaterialError, loadCertificates, loadKeyPair } from '../tls/key-material.js';
import { loadSigningKey } from '../tls/signing-key.js';

/** Every problem of one file, each already formatted as `file:line path: message`. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: GatewayConfig;
  /** Accepted but worth an operator's attention (plaintext destinations, untrusted mode, dev defaults). */
  warnings: string[];
  /** The file's settings with references resolved, before validation: managed objects are added to it. */
  source: { resolved: unknown; label: string; baseDir: string; references: ResolvedReferences };
}

/** A problem of one managed (API) object: a JSON pointer into it and the message `validate` would print. */
export interface ObjectProblem {
  pointer: string;
  message: string;
}

/** Key pairs and certificates managed through the API, with their PEM text. */
export interface ManagedMaterial {
  keys: { id: string; environment: string; usage: unknown; pem: { certificate?: string; privateKey: string } }[];
  certificates: { id: string; environment: string; pem: string }[];
}

/** The file's configuration with managed subscriptions added, or the problems of each managed one (by index). */
export type Composed = { ok: true; config: GatewayConfig } | { ok: false; problems: Map<number, ObjectProblem[]> };

/**
 * The running configuration: the file's objects plus the managed ones, validated together by the
 * same schema and cross-field rules (so an id taken by the file, or a key of another environment,
 * is refused the same way).
 */
export function composeConfig(loaded: LoadedConfig, managed: readonly unknown[], material: ManagedMaterial = { keys: [], certificates: [] }): Composed {
  const { label, baseDir } = loaded.source;
  const base = structuredClone(loaded.source.resolved) as { subscriptions?: unknown[]; keys?: unknown[]; certificates?: unknown[] };
  // Managed key pairs and certificates, already checked by their routes, join the file's: validated
  // as entries of the file (a stand-in file name), their PEM text attached once validated.
  const fileKeys = base.keys?.length ?? 0;
  const fileCertificates = base.certificates?.length ?? 0;
  base.keys = [...(base.keys ?? []), ...material.keys.map(({ pem, ...key }) => ({ ...key, keyFile: '(managed)', ...(pem.certificate === undefined ? {} : { certFile: '(managed)' }) }))];
  base.certificates = [...(base.certificates ?? []), ...material.certificates.map(({ pem: _pem, ...certificate }) => ({ ...certificate, file: '(managed)' }))];
  const fileCount = base.subscriptions?.length ?? 0;
  const problems = new Map<number, ObjectProblem[]>();
  const report = (path: ConfigPath, message: string) => {
    const index = path[0] === 'subscriptions' && typeof path[1] === 'number' ? path[1] - fileCount : -1;
    // The file was valid alone: a problem is one of a managed object's, or both of theirs (a shared id).
    const at = index >= 0 ? index : managed.length - 1;
    const pointer = index >= 0 ? jsonPointer(path.slice(2)) : '';
    problems.set(at, [...(problems.get(at) ?? []), { pointer, message: index >= 0 ? message : `${formatPath(path)}: ${message}` }]);
  };
  // API objects are the tenant's: `${env:…}` and `${file:…}` in them are never resolved (they would
  // read the operator's environment and files); a value that looks like one is refused.
  const resolvedManaged = managed.map((object, index) => {
    for (const found of operatorReferences(object)) report(['subscriptions', fileCount + index, ...found], 'holds a ${env:…} or ${file:…} reference; references are read only from the configuration file. Send the value itself: secrets sent through the API are write-only');
    return structuredClone(object);
  });
  const merged = { ...base, subscriptions: [...(base.subscriptions ?? []), ...resolvedManaged] };
  if (problems.size === 0) for (const problem of schemaProblems(merged)) report(problem.path, problem.message);
  if (problems.size === 0) checkCrossFieldRules(merged as RawConfig, { problem: report, warning: () => undefined }, ownListeners());
  if (problems.size > 0) return { ok: false, problems };
  const config = normalize(merged as RawConfig, resolve(label), baseDir, loaded.source.references);
  config.keys = config.keys.map((key, index) => (index < fileKeys ? key : { id: key.id, environment: key.environment, usage: key.usage, pem: material.keys[index - fileKeys]!.pem }));
  config.certificates = config.certificates.map((certificate, index) => (index < fileCertificates ? certificate : { id: certificate.id, environment: certificate.environment, file: '(managed)', pem: material.certificates[index - fileCertificates]!.pem }));
  config.subscriptions.forEach((subscription, index) => (subscription.managedBy = index < fileCount ? 'file' : 'api'));
  return { ok: true, config };
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
}

export function loadConfigFile(file: string, options: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'read error'})`]);
  }
  return parseConfigText(text, file, options);
}

/** `label` is the file name as the operator wrote it; it starts every message. */
export function parseConfigText(text: string, label: string, options: LoadOptions = {}): LoadedConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ConfigError(document.errors.map((error) => {
      const line = error.linePos?.[0].line ?? lineCounter.linePos(error.pos[0]).line;
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return `${label}:${line} YAML syntax: ${message}`;
    }));
  }
  if (document.contents === null) throw new ConfigError([`${label}: the file is empty; it must be a map of settings such as server, environments and subscriptions`]);
  if (!isMap(document.contents)) {
    const what = isSeq(document.contents) ? 'a list' : 'a single value';
    throw new ConfigError([`${label}:1 (top level): must be a map of settings, not ${what}`]);
  }

  const locator = new YamlLocator(document, lineCounter);
  const problems: { line: number; text: string }[] = [];
  const warnings: string[] = [];
  const at = (path: ConfigPath) => `${label}:${locator.lineOf(path)} ${formatPath(path)}`;
  // A value whose reference failed is empty: report the reference, not what its emptiness breaks.
  const unresolved = new Set<string>();
  const report = {
    problem: (path: ConfigPath, message: string) => {
      if (unresolved.has(formatPath(path))) return;
      problems.push({ line: locator.lineOf(path), text: `${at(path)}: ${message}` });
    },
    warning: (path: ConfigPath, message: string) => warnings.push(`${at(path)}: ${message}`),
  };

  const baseDir = dirname(resolve(label));
  const references = new ReferenceCollector();
  const raw = document.toJS({ maxAliasCount: 100 }) as unknown;
  const resolved = resolveReferences(raw, {
    env: options.env ?? process.env,
    baseDir,
    resolved: (value, reference) => references.add(value, reference),
    keepsPlaceholders: (path) => path[0] === 'subscriptions' && isTemplate(subscriptionsOf(raw)[path[1] as number]) && isTemplateField(path.slice(2)),
    problem: (path, message) => {
      report.problem(path, message);
      unresolved.add(formatPath(path));
    },
    warning: report.warning,
  });
  const referenceProblems = problems.length;
  // Kept before validation fills defaults in: composeConfig validates it again with managed objects.
  const source = { resolved: structuredClone(resolved), label, baseDir, references: references.references };
  for (const problem of schemaProblems(resolved)) report.problem(problem.path, problem.message);
  if (problems.length === referenceProblems) checkCrossFieldRules(resolved as RawConfig, report);
  if (problems.length === referenceProblems) checkKeyFiles(resolved as RawConfig, baseDir, report);
  // Messages quote values: a value that came from a reference is quoted as the reference.
  const written = (text: string) => asWritten(text, references.references);
  if (problems.length > 0) throw new ConfigError(problems.sort((a, b) => a.line - b.line).map((problem) => written(problem.text)));
  return { config: normalize(resolved as RawConfig, resolve(label), baseDir, references.references), warnings: warnings.map(written), source };
}

/** A subscription object of format TEMPLATE, whose template fields keep their `${name}` placeholders. */
function isTemplate(object: unknown): boolean {
  return typeof object === 'object' && object !== null && (object as { format?: unknown }).format === 'TEMPLATE';
}

function subscriptionsOf(document: unknown): unknown[] {
  const list = typeof document === 'object' && document !== null ? (document as { subscriptions?: unknown }).subscriptions : undefined;
  return Array.isArray(list) ? list : [];
}

/** Opens every key pair and certificate file now, so a bad one is a configuration error, not a failed delivery. */
function checkKeyFiles(raw: RawConfig, baseDir: string, report: { problem(path: ConfigPath, message: string): void }): void {
  const path = (value: string | undefined) => (value === undefined ? undefined : resolve(baseDir, value));
  raw.keys.forEach((key, index) => {
    try {
      const files = { certFile: path(key.certFile), keyFile: path(key.keyFile), pkcs12File: path(key.pkcs12File), passphrase: key.passphrase };
      if (key.usage === 'SIGNING') loadSigningKey(files, raw.management.pkcs12MaxIterations);
      else loadKeyPair(files, new Date(), raw.management.pkcs12MaxIterations);
    } catch (error) {
      if (!(error instanceof KeyMaterialError)) throw error;
      report.problem(['keys', index], `key "${key.id}": ${error.message}`);
    }
  });
  raw.certificates.forEach((certificate, index) => {
    try {
      loadCertificates({ file: path(certificate.file)! });
    } catch (error) {
      if (!(error instanceof KeyMaterialError)) throw error;
      report.problem(['certificates', index], `certificate "${certificate.id}": ${error.message}`);
    }
  });
}

function normalize(raw: RawConfig, file: string, baseDir: string, references: ResolvedReferences): GatewayConfig {
  const path = (value: string) => resolve(baseDir, value);
  const optionalPath = (value: string | undefined) => (value === undefined ? undefined : path(value));
  const listener = (config: RawConfig['server']['ingest']) => ({
    ...config,
    address: unwrap(parseListenAddress(config.listen)),
    tls: config.tls && { certFile: path(config.tls.certFile), keyFile: path(config.tls.keyFile), clientCaFile: optionalPath(config.tls.clientCaFile) },
  });
  return {
    ...raw,
    file,
    server: { ...raw.server, ingest: listener(raw.server.ingest), admin: listener(raw.server.admin) },
    storage: {
      ...raw.storage,
      dir: path(raw.storage.dir),
      ...(raw.storage.jetstream && {
        jetstream: {
          ...raw.storage.jetstream,
          credentialsFile: optionalPath(raw.storage.jetstream.credentialsFile),
          tls: raw.storage.jetstream.tls && { caFile: optionalPath(raw.storage.jetstream.tls.caFile), certFile: optionalPath(raw.storage.jetstream.tls.certFile), keyFile: optionalPath(raw.storage.jetstream.tls.keyFile) },
        },
      }),
    },
    keys: raw.keys.map((key) => ({ ...key, certFile: optionalPath(key.certFile), keyFile: optionalPath(key.keyFile), pkcs12File: optionalPath(key.pkcs12File) })),
    certificates: raw.certificates.map((certificate) => ({ ...certificate, file: path(certificate.file) })),
    subscriptions: raw.subscriptions.map(normalizeSubscription),
    logging: { ...raw.logging, deliveryFile: optionalPath(raw.logging.deliveryFile) },
    references,
  };
}

function normalizeSubscription(raw: RawSubscription): Subscription {
  const { maximumPayloadLimit, payloadFormat } = raw.payloadOptions;
  return {
    ...raw,
    managedBy: 'file',
    name: raw.name ?? raw.id,
    startAt: unwrap(parseStartAt(raw.startAt)),
    payloadOptions: {
      ...raw.payloadOptions,
      maximumPayloadLimit: { type: maximumPayloadLimit.type, size: maximumPayloadLimit.size ?? defaultEventsPerPayload },
      payloadFormat: { ...payloadFormat, https: { ...payloadFormat.https, format: payloadFormat.https.format ?? defaultHttpsFormat(raw.format) } },
    },
  };
}

function unwrap<T>(parsed: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!parsed.ok) throw new Error(`validated value failed to parse: ${parsed.message}`);
  return parsed.value;
}
