// `${env:NAME}`, `${env:NAME:-default}` and `${file:/path}` inside any string value of the file.
// Resolved values may be secrets: no message here ever contains one.
import { resolve } from 'node:path';
import type { ConfigPath } from './config-path.js';
import { NotRegularFileError, readRegularFile } from '../util/read-regular-file.js';
import { indexDatePart } from './index-name.js';

export interface ReferenceContext {
  env: NodeJS.ProcessEnv;
  /** Relative `${file:}` paths are read from here (the configuration file's directory). */
  baseDir: string;
  problem(path: ConfigPath, message: string): void;
  warning(path: ConfigPath, message: string): void;
  /** Each reference resolved, with its value: printed messages show the reference instead. */
  resolved?(value: string, reference: string): void;
  /** Where another `${name}` is a template placeholder (format TEMPLATE), kept to be filled per event. */
  keepsPlaceholders?(path: ConfigPath): boolean;
}

/** Inside a subscription (path relative to it): its template, URL and header values may hold placeholders. */
export function isTemplateField(path: ConfigPath): boolean {
  return path[0] === 'template' || (path[0] === 'httpEndpoint' && (path[1] === 'url' || path[1] === 'headers'));
}

/** Inside a subscription: `elasticsearch.index` may hold `${recordedAt:yyyy.MM.dd}`, filled per event. */
export function isIndexNameField(path: ConfigPath): boolean {
  return path[0] === 'elasticsearch' && path[1] === 'index' && path.length === 2;
}

// `$${` is an escaped literal `${`; anything else starting with `${` must be a known reference.
const referencePattern = /\$\$\{|\$\{([^}]*)\}/g;
const envPattern = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const filePattern = /^file:(.+)$/s;
// A template placeholder's name, as src/pipeline/placeholder-template.ts reads it.
const placeholderName = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Returns a copy of `value` with every reference in every string resolved. */
export function resolveReferences(value: unknown, context: ReferenceContext, path: (string | number)[] = []): unknown {
  if (typeof value === 'string') return resolveString(value, context, path);
  if (Array.isArray(value)) return value.map((item, index) => resolveReferences(item, context, [...path, index]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty so a `__proto__` key stays an ordinary (and then rejected) key.
      Object.defineProperty(out, key, { value: resolveReferences(item, context, [...path, key]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

function resolveString(text: string, context: ReferenceContext, path: ConfigPath): string {
  if (!text.includes('${')) return text;
  return text.replace(referencePattern, (match, body: string | undefined) => {
    if (body === undefined) return '${';
    const env = envPattern.exec(body);
    const file = env ? null : filePattern.exec(body);
    if (env || file) {
      const value = env ? resolveEnv(env[1]!, env[2], context, path) : resolveFile(file![1]!.trim(), context, path);
      context.resolved?.(value, match);
      return value;
    }
    if (placeholderName.test(body) && context.keepsPlaceholders?.(path)) return match;
    if (indexDatePart.test(body) && path[0] === 'subscriptions' && isIndexNameField(path.slice(2))) return match;
    context.problem(path, `unknown reference "${match}": use \${env:NAME}, \${env:NAME:-default} or \${file:/path} (write $\${ for a literal \${)`);
    return '';
  });
}

function resolveEnv(name: string, fallback: string | undefined, context: ReferenceContext, path: ConfigPath): string {
  const value = context.env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) {
    context.warning(path, `environment variable ${name} is not set; using the development default written in the file. Set ${name} before real use`);
    return fallback;
  }
  context.problem(path, `environment variable ${name} is not set`);
  return '';
}

function resolveFile(file: string, context: ReferenceContext, path: ConfigPath): string {
  try {
    // Secret files usually end with one newline that is not part of the secret.
    return readRegularFile(resolve(context.baseDir, file)).toString('utf8').replace(/\r?\n$/, '');
  } catch (error) {
    const code = error instanceof NotRegularFileError ? error.message : ((error as NodeJS.ErrnoException).code ?? 'read error');
    context.problem(path, `cannot read \${file:${file}} (${code})`);
    return '';
  }
}

const operatorReference = /\$\{\s*(env|file)\s*:/i;

/** Whether `text` holds something like `${env:…}` or `${file:…}` (spaces and case aside). */
export function holdsReference(text: string): boolean {
  return operatorReference.test(text);
}

/**
 * The paths of every string in `value` (an object that came through the management API) that holds
 * something like `${env:…}` or `${file:…}`. Such values are never resolved; they are refused.
 */
export function operatorReferences(value: unknown, path: (string | number)[] = []): ConfigPath[] {
  if (typeof value === 'string') return holdsReference(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => operatorReferences(item, [...path, index]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => operatorReferences(item, [...path, key]));
  return [];
}
