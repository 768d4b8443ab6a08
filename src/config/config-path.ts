/** A location inside the configuration tree: map keys and sequence indexes. */
export type ConfigPath = ReadonlyArray<string | number>;

const plainKey = /^[A-Za-z_$][\w$-]*$/;

/** `['subscriptions', 0, 'filterOptions']` → `subscriptions[0].filterOptions`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (plainKey.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** Path segments → a JSON pointer (`/httpEndpoint/headers/X~1Y`), as the API's problems name fields. */
export function jsonPointer(path: ConfigPath): string {
  return path.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Ajv's JSON pointer (`/subscriptions/0/id`) → path segments. */
export function pathFromPointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment;
    });
}
