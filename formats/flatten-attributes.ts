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
  const counts = walkLeaves(value, limits, reserved.length, (name) => name in attributes, (name, leaf) => {
    attributes[name] = leaf;
  });
  for (const name of reserved) delete attributes[name];
  return { attributes, ...counts };
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
 * without the dictionary object and its JSON.stringify (the parsed path of format NEWRELIC).
 * `stringBooleans`: booleans become "true" and "false" (the Event API takes no booleans).
 */
export function flattenAttributesText(value: unknown, limits: AttributeLimits, reserved: readonly string[], stringBooleans: boolean): FlattenedText {
  const taken = new Set(reserved);
  let indexed: [number, string][] | undefined;
  let members = '';
  const counts = walkLeaves(value, limits, reserved.length, (name) => taken.has(name), (name, leaf, renamed) => {
    taken.add(name);
    const quoted = typeof leaf === 'string' || (stringBooleans && typeof leaf === 'boolean');
    const member = memberName(name) + (quoted ? JSON.stringify(String(leaf)) : String(leaf));
    const index = renamed ? undefined : arrayIndex(name);
    if (index !== undefined) (indexed ??= []).push([index, member]);
    else members = members === '' ? member : `${members},${member}`;
  });
  indexed?.sort((a, b) => a[0] - b[0]);
  return { indexMembers: indexed?.map((entry) => entry[1]).join(',') ?? '', members, dropped: counts.dropped, truncated: counts.truncated, renamed: counts.renamed };
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

type Leaf = string | number | boolean;

interface Walk {
  limits: AttributeLimits;
  /** Attributes the event may still add (the limit less the gateway's own names). */
  room: number;
  taken: (name: string) => boolean;
  keep: (name: string, leaf: Leaf, renamed: boolean) => void;
  count: number;
  dropped: number;
  truncated: number;
  renamed: number;
}

/**
 * The rules both forms share: every leaf, depth-first in document order, under its dotted name,
 * renamed to `event.<name>` when taken, dropped past the limits, cut past the value length, then
 * handed to `keep`. Returns what was kept, dropped, cut and renamed.
 */
function walkLeaves(value: unknown, limits: AttributeLimits, reserved: number, taken: Walk['taken'], keep: Walk['keep']): Omit<Flattened, 'attributes'> {
  const walk: Walk = { limits, room: limits.maxAttributes - reserved, taken, keep, count: 0, dropped: 0, truncated: 0, renamed: 0 };
  visit(value, '', walk);
  return { count: walk.count, dropped: walk.dropped, truncated: walk.truncated, renamed: walk.renamed };
}

/** Plain loops, no per-node arrays. */
function visit(current: unknown, name: string, walk: Walk): void {
  if (current === null || current === undefined) return;
  if (typeof current === 'object') {
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) visit(current[index], name === '' ? String(index) : `${name}.${index}`, walk);
    } else {
      for (const key in current) {
        if (Object.hasOwn(current, key)) visit((current as Record<string, unknown>)[key], name === '' ? key : `${name}.${key}`, walk);
      }
    }
    return;
  }
  let target = name;
  if (walk.taken(target)) {
    target = `event.${name}`;
    for (let n = 2; walk.taken(target); n++) target = `event.${name}.${n}`;
  }
  if (walk.count >= walk.room || target.length > walk.limits.maxNameLength) {
    walk.dropped++;
    return;
  }
  if (target !== name) walk.renamed++;
  let leaf = current as Leaf;
  if (typeof leaf === 'string' && leaf.length > walk.limits.maxValueLength) {
    leaf = leaf.slice(0, walk.limits.maxValueLength);
    walk.truncated++;
  }
  walk.count++;
  walk.keep(target, leaf, target !== name);
}
