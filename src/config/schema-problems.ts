// Schema validation with Ajv, turned into one readable sentence per problem.
import { Ajv, type ErrorObject } from 'ajv';
import { pathFromPointer, type ConfigPath } from './config-path.js';
import { ConfigSchema } from './schema.js';

// `optimize: false`: the validator runs once per file, its compile is on every start's path (half the time).
const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, code: { optimize: false } });
// Our own annotation: the sentence to show when a `pattern` does not match.
ajv.addKeyword('errorMessage');
const validateConfig = ajv.compile(ConfigSchema);

export interface SchemaProblem {
  path: ConfigPath;
  message: string;
}

/** Validates `value` in place (filling defaults) and returns every problem found. */
export function schemaProblems(value: unknown): SchemaProblem[] {
  if (validateConfig(value)) return [];
  return (validateConfig.errors ?? []).map(describe);
}

const typeNames: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
};

function describe(error: ErrorObject): SchemaProblem {
  const path = pathFromPointer(error.instancePath);
  const parent: Record<string, unknown> | undefined = error.parentSchema;
  const params = error.params;
  switch (error.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'is required' };
    case 'additionalProperties': {
      const allowed = Object.keys((parent?.properties as object | undefined) ?? {});
      return { path: [...path, String(params.additionalProperty)], message: `unknown key (allowed here: ${allowed.join(', ')})` };
    }
    case 'type':
      return { path, message: `must be ${String(params.type).split(',').map((t) => typeNames[t] ?? t).join(' or ')}` };
    case 'enum':
      return { path, message: `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'minItems':
      return { path, message: `must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}` };
    case 'maxItems':
      return { path, message: `must have at most ${String(params.limit)} items` };
    case 'uniqueItems':
      return { path, message: `must not repeat an item (items ${String(params.j)} and ${String(params.i)} are the same)` };
    case 'minLength':
      return { path, message: typeof parent?.errorMessage === 'string' ? parent.errorMessage : params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters` };
    case 'minimum':
    case 'maximum':
      return { path, message: `must be ${String(parent?.minimum)}..${String(parent?.maximum)}` };
    case 'pattern':
      return { path, message: typeof parent?.errorMessage === 'string' ? parent.errorMessage : 'has an invalid format' };
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}
