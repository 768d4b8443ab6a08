// Values that came from `${env:…}` or `${file:…}` references may be secrets (a token in a URL path,
// as Sumo Logic and others do). Anything the gateway prints that quotes configured values shows
// the references as written instead of what they resolved to.

/** Resolved value → the reference text it came from, longest values first. */
export type ResolvedReferences = readonly (readonly [value: string, reference: string])[];

/** Values shorter than this are not masked: replacing every "1" or "on" would garble messages. */
const minimumLength = 4;

export class ReferenceCollector {
  private readonly seen = new Map<string, string>();

  add(value: string, reference: string): void {
    if (value.length >= minimumLength && !this.seen.has(value)) this.seen.set(value, reference);
  }

  get references(): ResolvedReferences {
    return [...this.seen].sort(([a], [b]) => b.length - a.length);
  }
}

/** `text` with every resolved reference value replaced by its reference. */
export function asWritten(text: string, references: ResolvedReferences): string {
  let out = text;
  for (const [value, reference] of references) if (out.includes(value)) out = out.split(value).join(reference);
  return out;
}

/**
 * A destination URL fit for a log line: references as written, a password in it and every query
 * value that is not a reference masked (a literal credential written in the file).
 */
export function destinationForLog(url: string, references: ResolvedReferences): string {
  const written = asWritten(url, references);
  const query = written.indexOf('?');
  const base = (query < 0 ? written : written.slice(0, query)).replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@]*?):[^/@]*@/i, '$1:[redacted]@');
  if (query < 0) return base;
  const [search, fragment] = splitOnce(written.slice(query + 1), '#');
  const masked = search
    .split('&')
    .map((pair) => {
      const [key, value] = splitOnce(pair, '=');
      return value === undefined || value === '' || /^\$\{[^}]*\}$/.test(value) ? pair : `${key}=[redacted]`;
    })
    .join('&');
  return `${base}?${masked}${fragment === undefined ? '' : `#${fragment}`}`;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
