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
}

export function flattenAttributes(value: unknown, limits: AttributeLimits, reserved = 0): Flattened {
  const attributes = Object.create(null) as Record<string, string | number | boolean>;
  const result: Flattened = { attributes, dropped: 0, truncated: 0 };
  let count = 0;
  const visit = (current: unknown, name: string) => {
    if (current === null || current === undefined) return;
    if (typeof current === 'object') {
      const entries = Array.isArray(current) ? current.map((item, index) => [String(index), item] as const) : Object.entries(current);
      for (const [key, child] of entries) visit(child, name === '' ? key : `${name}.${key}`);
      return;
    }
    if (count >= limits.maxAttributes - reserved || name.length > limits.maxNameLength) {
      result.dropped++;
      return;
    }
    let leaf = current as string | number | boolean;
    if (typeof leaf === 'string' && leaf.length > limits.maxValueLength) {
      leaf = leaf.slice(0, limits.maxValueLength);
      result.truncated++;
    }
    attributes[name] = leaf;
    count++;
  };
  visit(value, '');
  return result;
}
