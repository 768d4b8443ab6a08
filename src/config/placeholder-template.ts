// The `${name}` template language of PingAM webhooks, used by format TEMPLATE in a body, the URL's
// path and query, and header values. A template is parsed once into literal text and placeholders;
// filling escapes each value for where it lands, so no value can change the structure around it:
//   json (in a string)   JSON string escaping, no quotes added
//   json (elsewhere)     the value as JSON (a string quoted, a number bare, an object as JSON)
//   form                 application/x-www-form-urlencoded (`&`, `=`, `+` and line breaks encoded)
//   url                  percent-encoded as a URI component (`/`, `?`, `#`, `&` encoded)
//   header               as is, except `%`, control and non-ASCII characters, percent-encoded as UTF-8
// A placeholder with no value keeps its literal text `${name}` (as PingAM does), escaped the same way.

export type Landing = 'json' | 'form' | 'url' | 'header';

export interface Placeholder {
  name: string;
  /** json only: inside a JSON string literal. */
  inString: boolean;
}

export interface ParsedTemplate {
  readonly landing: Landing;
  /** `literals.length === placeholders.length + 1`: literal, placeholder, literal, …, literal. */
  readonly literals: readonly string[];
  readonly placeholders: readonly Placeholder[];
}

export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

// Session property names are free-form in PingAM (`sun.am.UniversalIdentifier`); dotted paths use
// digits for array positions (`resources.0.id`).
const namePattern = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parses `text`; throws TemplateSyntaxError naming the offset of an unclosed `${` or a bad name. */
export function parseTemplate(text: string, landing: Landing): ParsedTemplate {
  const literals: string[] = [];
  const placeholders: Placeholder[] = [];
  let literalStart = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end === -1) throw new TemplateSyntaxError(`has an unclosed \${ at character ${i + 1}`, i);
      const name = text.slice(i + 2, end);
      if (!namePattern.test(name)) throw new TemplateSyntaxError(`has a placeholder \${${name.slice(0, 40)}} at character ${i + 1} whose name is not a session property or dotted path (letters, digits, "_", "." and "-")`, i);
      literals.push(text.slice(literalStart, i));
      placeholders.push({ name, inString });
      literalStart = end + 1;
      i = end;
      continue;
    }
    // Only JSON cares whether a placeholder sits inside a string literal.
    if (landing !== 'json') continue;
    if (escaped) escaped = false;
    else if (inString && char === '\\') escaped = true;
    else if (char === '"') inString = !inString;
  }
  literals.push(text.slice(literalStart));
  return { landing, literals, placeholders };
}

/** Whether `text` holds any `${`. */
export function hasPlaceholders(text: string): boolean {
  return text.includes('${');
}

// A lone surrogate cannot be encoded as UTF-8 (encodeURIComponent throws): it becomes U+FFFD.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value)).replace(loneSurrogate, '\uFFFD');

function escapeValue(value: unknown, landing: Landing, placeholder: Placeholder): string {
  switch (landing) {
    case 'json':
      return placeholder.inString ? JSON.stringify(asText(value)).slice(1, -1) : JSON.stringify(value);
    case 'form':
      return encodeURIComponent(asText(value)).replace(/%20/g, '+');
    case 'url':
      return encodeURIComponent(asText(value));
    case 'header':
      return escapeHeader(asText(value));
  }
}

/** `%`, control characters and everything outside printable ASCII, as UTF-8 percent escapes. */
function escapeHeader(text: string): string {
  return text.replace(/[^\x20-\x24\x26-\x7e]/gu, (char) => encodeURIComponent(char));
}

/**
 * The template filled from `lookup` (undefined, null or '' = no value: the literal `${name}` stays,
 * escaped for where it lands).
 */
export function fillTemplate(template: ParsedTemplate, lookup: (name: string, placeholder: Placeholder) => unknown): string {
  const { literals, placeholders, landing } = template;
  let out = literals[0]!;
  for (let i = 0; i < placeholders.length; i++) {
    const placeholder = placeholders[i]!;
    const value = lookup(placeholder.name, placeholder);
    const present = value !== undefined && value !== null && value !== '';
    out += escapeValue(present ? value : `\${${placeholder.name}}`, landing, placeholder) + literals[i + 1]!;
  }
  return out;
}

/**
 * A URL template split where its path begins: the origin (scheme, host, port), which placeholders
 * must not touch, and the path and query (`/` when empty). Undefined when `text` has no `scheme://`.
 */
export function splitUrlTemplate(text: string): { origin: string; path: string } | undefined {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*)(.*)$/s.exec(text);
  if (match === null) return undefined;
  const rest = match[2]!;
  return { origin: match[1]!, path: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest };
}

/**
 * The template filled with stand-ins as long as each placeholder's own text, so a position in the
 * result is the same position in the template (for error messages).
 */
export function fillWithStandIns(template: ParsedTemplate): string {
  return fillTemplate(template, (name, placeholder) => 'x'.repeat(template.landing === 'json' && !placeholder.inString ? name.length + 1 : name.length + 3));
}
