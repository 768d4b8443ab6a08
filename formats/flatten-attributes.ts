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
