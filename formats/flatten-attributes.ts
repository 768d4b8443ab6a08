// New Relic attributes are flat: nested objects and arrays become `a.b.c` and `a.0.b` keys, within
// New Relic's limits (protocols.md §6): at most 255 attributes per event, names of at most 255
// characters, string values cut at the stored length.
//
// Nothing is lost silently. A name the gateway writes itself (`timestamp`, `message`, …), or one
// an earlier key of the event already flattened to (`"a.b"` and `{"a":{"b"}}`), keeps the event's
// value under `event.<name>` (then `event.<name>.2`, …), and every rename, drop and cut is counted.

export interface AttributeLimits {
  maxAttributes: number;
  maxNameLength: number;
  maxValueLength: number;
}

export interface Flattened {
  /** Null prototype: a `__proto__` key in an event is just an attribute name here. */
  attributes: Record<string, string | number | boolean>;
  /** Attributes left out because of the count or name-length limit. */
  dropped: number;
  /** String values cut to maxValueLength. */
  truncated: number;
  /** Values kept under `event.<name>` because their name was taken. */
  renamed: number;
  /** Attributes kept. */
  count: number;
}

/** `reserved`: the names the gateway writes beside the attributes; they count toward the limit. */
export function flattenAttributes(value: unknown, limits: AttributeLimits, reserved: readonly string[] = []): Flattened {
  const attributes = Object.create(null) as Record<string, string | number | boolean>;
  for (const name of reserved) attributes[name] = '';
  const result: Flattened = { attributes, dropped: 0, truncated: 0, renamed: 0, count: 0 };
  visit(value, '', result, limits, limits.maxAttributes - reserved.length);
  for (const name of reserved) delete attributes[name];
  return result;
}

/** Depth-first, in document order; plain loops, no per-node arrays. */
function visit(current: unknown, name: string, result: Flattened, limits: AttributeLimits, room: number): void {
  if (current === null || current === undefined) return;
  if (typeof current === 'object') {
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) visit(current[index], name === '' ? String(index) : `${name}.${index}`, result, limits, room);
    } else {
      for (const key in current) {
        if (Object.hasOwn(current, key)) visit((current as Record<string, unknown>)[key], name === '' ? key : `${name}.${key}`, result, limits, room);
      }
    }
    return;
  }
  let target = name;
  if (target in result.attributes) {
    target = `event.${name}`;
    for (let n = 2; target in result.attributes; n++) target = `event.${name}.${n}`;
  }
  if (result.count >= room || target.length > limits.maxNameLength) {
    result.dropped++;
    return;
  }
  if (target !== name) result.renamed++;
  let leaf = current as string | number | boolean;
  if (typeof leaf === 'string' && leaf.length > limits.maxValueLength) {
    leaf = leaf.slice(0, limits.maxValueLength);
    result.truncated++;
  }
  result.attributes[target] = leaf;
  result.count++;
}

/** The attributes as JSON members (`"name":value`), in the order JSON.stringify gives the object flattenAttributes builds. */
export interface FlattenedText {
  /** Members whose name is an array index ("0", "42"): an object lists those first, in numeric order. */
  indexMembers: string;
  /** The other members, in document order. */
  members: string;
  dropped: number;
  truncated: number;
  renamed: number;
}

/**
 * flattenAttributes written straight as JSON text: the same attributes, renames, drops and cuts,
 * without the dictionary object and its JSON.stringify (the hot path of format NEWRELIC).
 * `stringBooleans`: booleans become "true" and "false" (the Event API takes no booleans).
 */
export function flattenAttributesText(value: unknown, limits: AttributeLimits, reserved: readonly string[], stringBooleans: boolean): FlattenedText {
  const state: TextState = { taken: new Set(reserved), indexed: undefined, members: '', limits, room: limits.maxAttributes - reserved.length, count: 0, dropped: 0, truncated: 0, renamed: 0, stringBooleans };
  visitText(value, '', state);
  let indexMembers = '';
  if (state.indexed !== undefined) {
    state.indexed.sort((a, b) => a[0] - b[0]);
    indexMembers = state.indexed.map((entry) => entry[1]).join(',');
  }
  return { indexMembers, members: state.members, dropped: state.dropped, truncated: state.truncated, renamed: state.renamed };
}

interface TextState {
  taken: Set<string>;
  indexed: [number, string][] | undefined;
  members: string;
  limits: AttributeLimits;
  room: number;
  count: number;
  dropped: number;
  truncated: number;
  renamed: number;
  stringBooleans: boolean;
}

/** A name an object orders before the others: a canonical array index below 2^32 - 1. */
function arrayIndex(name: string): number | undefined {
  const first = name.charCodeAt(0);
  if (first < 0x30 || first > 0x39 || (first === 0x30 && name.length > 1) || name.length > 10) return undefined;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const index = Number(name);
  return index < 4294967295 ? index : undefined;
}

/** `"name":` per attribute name: the same names come back event after event (bounded, then cleared). */
const memberNames = new Map<string, string>();

function memberName(name: string): string {
  let text = memberNames.get(name);
  if (text === undefined) {
    if (memberNames.size >= 10_000) memberNames.clear();
    memberNames.set(name, (text = `${JSON.stringify(name)}:`));
  }
  return text;
}

function visitText(current: unknown, name: string, state: TextState): void {
  if (current === null || current === undefined) return;
  if (typeof current === 'object') {
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) visitText(current[index], name === '' ? String(index) : `${name}.${index}`, state);
    } else {
      for (const key in current) {
        if (Object.hasOwn(current, key)) visitText((current as Record<string, unknown>)[key], name === '' ? key : `${name}.${key}`, state);
      }
    }
    return;
  }
  let target = name;
  if (state.taken.has(target)) {
    target = `event.${name}`;
    for (let n = 2; state.taken.has(target); n++) target = `event.${name}.${n}`;
  }
  if (state.count >= state.room || target.length > state.limits.maxNameLength) {
    state.dropped++;
    return;
  }
  if (target !== name) state.renamed++;
  let leaf = current as string | number | boolean;
  if (typeof leaf === 'string' && leaf.length > state.limits.maxValueLength) {
    leaf = leaf.slice(0, state.limits.maxValueLength);
    state.truncated++;
  }
  if (state.stringBooleans && typeof leaf === 'boolean') leaf = String(leaf);
  state.taken.add(target);
  state.count++;
  const member = memberName(target) + (typeof leaf === 'string' ? JSON.stringify(leaf) : String(leaf));
  const index = target === name ? arrayIndex(target) : undefined;
  if (index !== undefined) (state.indexed ??= []).push([index, member]);
  else state.members = state.members === '' ? member : `${state.members},${member}`;
}
