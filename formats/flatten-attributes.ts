// New Relic attributes are flat: nested objects and arrays become `a.b.c` and `a.0.b` keys, within
// New Relic's limits (protocols.md §6): at most 255 attributes per event, names of at most 255
// characters, string values cut at the stored length.

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
  /** Attributes kept. */
  count: number;
}

export function flattenAttributes(value: unknown, limits: AttributeLimits, reserved = 0): Flattened {
  const attributes = Object.create(null) as Record<string, string | number | boolean>;
  const result: Flattened = { attributes, dropped: 0, truncated: 0, count: 0 };
  visit(value, '', result, limits, limits.maxAttributes - reserved);
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
  if (result.count >= room || name.length > limits.maxNameLength) {
    result.dropped++;
    return;
  }
  let leaf = current as string | number | boolean;
  if (typeof leaf === 'string' && leaf.length > limits.maxValueLength) {
    leaf = leaf.slice(0, limits.maxValueLength);
    result.truncated++;
  }
  result.attributes[name] = leaf;
  result.count++;
}
