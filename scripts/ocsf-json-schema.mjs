// Builds a JSON Schema (draft 2020-12) for the OCSF event classes the OCSF format emits, from the
// OCSF schema's own definitions (github.com/ocsf/ocsf-schema at a release tag), so the tests
// validate what the gateway sends against the schema itself, not against our reading of it.
//
//   node scripts/ocsf-json-schema.mjs <ocsf-schema git dir or checkout> [tag, default v1.1.0] > test/ocsf/ocsf-<version>-iam.schema.json
//
// It follows the schema's own composition rules: a class extends its parent (base_event → iam →
// class), `$include` pulls in includes/ and profiles/ attributes (profile attributes stay optional),
// an attribute's type, array-ness and enum come from dictionary.json with the class's or object's
// own entry merged over it (enums merged, value by value), objects extend their parents
// (`_entity` → `user`), `constraints.at_least_one` / `just_one` become anyOf / oneOf, scalar types
// map to JSON types (with the dictionary's regular expression where it has one), `class_uid` is
// category_uid × 1000 + the class uid, and `type_uid` is class_uid × 100 + each activity_id.
// Attributes nobody defined are refused (additionalProperties: false); `unmapped` takes anything.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [source, tag = 'v1.1.0'] = process.argv.slice(2);
if (source === undefined) {
  console.error('usage: node scripts/ocsf-json-schema.mjs <ocsf-schema git dir or checkout> [tag]');
  process.exit(2);
}
const checkout = existsSync(join(source, 'dictionary.json'));
const git = (...args) => execFileSync('git', ['--git-dir', source, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const read = (path) => JSON.parse(checkout ? readFileSync(join(source, path), 'utf8') : git('show', `refs/tags/${tag}:${path}`));
const commit = checkout ? 'a checkout' : git('rev-parse', `refs/tags/${tag}^{commit}`).trim();
const files = checkout ? [] : git('ls-tree', '-r', '--name-only', `refs/tags/${tag}`).split('\n');

const classes = ['account_change', 'authentication', 'authorize_session', 'entity_management', 'user_access', 'group_management'];
const dictionary = read('dictionary.json');
const categories = read('categories.json').attributes;
const version = read('version.json').version;
const scalarTypes = dictionary.types.attributes;

const eventPath = (name) => files.find((path) => path.startsWith('events/') && path.endsWith(`/${name}.json`)) ?? `events/${name}.json`;

/** Merges an attribute entry over another: enums value by value, everything else replaced. */
function mergeEntry(base = {}, over = {}) {
  const merged = { ...base, ...over };
  if (base.enum !== undefined || over.enum !== undefined) merged.enum = { ...base.enum, ...over.enum };
  return merged;
}

/** A definition's attributes with its parents' and its includes' merged in (the child last). */
function attributesOf(definition, parentOf) {
  let attributes = definition.extends !== undefined && definition.extends !== 'object' ? attributesOf(parentOf(definition.extends), parentOf) : {};
  for (const [name, entry] of Object.entries(definition.attributes ?? {})) {
    if (name === '$include') {
      for (const path of entry) {
        const included = read(path);
        const optional = included.meta === 'profile';
        for (const [member, value] of Object.entries(attributesOf({ attributes: included.attributes }, parentOf))) {
          attributes[member] = mergeEntry(attributes[member], optional ? { ...value, requirement: 'optional' } : value);
        }
      }
    } else attributes[name] = mergeEntry(attributes[name], entry);
  }
  return attributes;
}

const objects = new Map();
const defs = {};

/** The JSON Schema of one attribute, its object types added to $defs. */
function attributeSchema(name, entry) {
  const definition = mergeEntry(dictionary.attributes[name], entry);
  const type = definition.type ?? 'string_t';
  let schema;
  if (type === 'object') schema = { type: 'object' };
  else if (scalarTypes[type] !== undefined) schema = scalarSchema(type);
  else {
    defineObject(type);
    schema = { $ref: `#/$defs/${type}` };
  }
  if (definition.enum !== undefined) {
    const values = Object.keys(definition.enum).map((key) => (schema.type === 'integer' ? Number(key) : key));
    schema = { ...schema, enum: values };
  }
  return definition.is_array === true ? { type: 'array', items: schema } : schema;
}

function scalarSchema(type) {
  let base = type;
  while (scalarTypes[base]?.type !== undefined) base = scalarTypes[base].type;
  const json = { boolean_t: { type: 'boolean' }, integer_t: { type: 'integer' }, long_t: { type: 'integer' }, float_t: { type: 'number' }, json_t: {}, string_t: { type: 'string' } }[base] ?? { type: 'string' };
  const regex = scalarTypes[type].regex;
  if (regex !== undefined && json.type === 'string') {
    try {
      new RegExp(regex, 'u');
      return { ...json, pattern: regex };
    } catch {
      return json; // a pattern JavaScript cannot read is left out rather than guessed at
    }
  }
  return json;
}

function objectSchema(attributes, constraints) {
  const properties = {};
  const required = [];
  for (const [name, entry] of Object.entries(attributes)) {
    properties[name] = attributeSchema(name, entry);
    if (mergeEntry(dictionary.attributes[name], entry).requirement === 'required') required.push(name);
  }
  const schema = { type: 'object', properties, required: required.sort(), additionalProperties: false };
  if (constraints?.at_least_one !== undefined) schema.anyOf = constraints.at_least_one.map((name) => ({ required: [name] }));
  if (constraints?.just_one !== undefined) schema.oneOf = constraints.just_one.map((name) => ({ required: [name] }));
  return schema;
}

function defineObject(name) {
  if (objects.has(name)) return;
  objects.set(name, true);
  const definition = read(`objects/${name}.json`);
  const parentOf = (parent) => read(`objects/${parent}.json`);
  let constraints = definition.constraints;
  for (let parent = definition.extends; constraints === undefined && parent !== undefined && parent !== 'object'; ) {
    const inherited = parentOf(parent);
    constraints = inherited.constraints;
    parent = inherited.extends;
  }
  defs[name] = objectSchema(attributesOf(definition, parentOf), constraints);
}

const classUids = {};
for (const name of classes) {
  const definition = read(eventPath(name));
  const category = categories[read(eventPath(definition.extends)).category ?? 'iam'];
  const classUid = category.uid * 1000 + definition.uid;
  const attributes = attributesOf(definition, (parent) => read(eventPath(parent)));
  const schema = objectSchema(attributes, definition.constraints);
  const activities = Object.keys(mergeEntry(dictionary.attributes.activity_id, attributes.activity_id).enum).map(Number);
  schema.properties.category_uid = { type: 'integer', const: category.uid };
  schema.properties.class_uid = { type: 'integer', const: classUid };
  schema.properties.activity_id = { type: 'integer', enum: activities };
  schema.properties.type_uid = { type: 'integer', enum: activities.map((activity) => classUid * 100 + activity) };
  defs[`class_${classUid}`] = { title: definition.caption, ...schema };
  classUids[classUid] = definition.caption;
}

const out = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `https://schema.ocsf.io/${version}/siem-gateway-iam.json`,
  description: `OCSF ${version} Identity & Access Management classes ${Object.entries(classUids).map(([uid, caption]) => `${uid} ${caption}`).join(', ')}, generated by scripts/ocsf-json-schema.mjs from github.com/ocsf/ocsf-schema tag ${tag} (${commit}).`,
  oneOf: Object.keys(classUids).map((uid) => ({ $ref: `#/$defs/class_${uid}` })),
  $defs: Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b))),
};
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
