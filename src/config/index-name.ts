// An Elasticsearch index (or data stream) name with the event's date in it:
// `idp-audit-${recordedAt:yyyy.MM.dd}` puts each event in its day's index, in UTC. Only
// `recordedAt` and the parts yyyy, MM, dd and HH (with `.`, `-` or `_` between them) are known, so
// an event can choose nothing but its own date. Names are checked as Elasticsearch checks them
// (lower case, no \ / * ? " < > | space , # :, not starting with - _ +, not . or .., at most 255 bytes).

/** The body of a date placeholder, `recordedAt:yyyy.MM.dd`. */
export const indexDatePart = /^recordedAt:(?:yyyy|MM|dd|HH|[._-])+$/;
const placeholder = /\$\{([^}]*)\}/g;
const token = /yyyy|MM|dd|HH|[._-]/g;

export type IndexName = (recordedAt: string) => string;

/** The name for an event recorded at `recordedAt`; throws an Error naming what is wrong with the template. */
export function compileIndexName(template: string): IndexName {
  const parts: (string | string[])[] = [];
  let at = 0;
  for (const match of template.matchAll(placeholder)) {
    if (!indexDatePart.test(match[1]!)) throw new Error(`holds "${match[0]}": only \${recordedAt:…} with yyyy, MM, dd and HH is filled in an index name`);
    parts.push(template.slice(at, match.index), match[1]!.slice('recordedAt:'.length).match(token)!);
    at = match.index + match[0].length;
  }
  parts.push(template.slice(at));
  const problem = indexNameProblem(parts.map((part) => (typeof part === 'string' ? part : part.map((piece) => (piece.length > 1 ? '0'.repeat(piece.length) : piece)).join(''))).join(''));
  if (problem !== undefined) throw new Error(problem);
  if (parts.length === 1) return () => template;
  return (recordedAt) => {
    const date = new Date(recordedAt);
    const values: Record<string, string> = {
      yyyy: String(date.getUTCFullYear()).padStart(4, '0'),
      MM: String(date.getUTCMonth() + 1).padStart(2, '0'),
      dd: String(date.getUTCDate()).padStart(2, '0'),
      HH: String(date.getUTCHours()).padStart(2, '0'),
    };
    let name = '';
    for (const part of parts) name += typeof part === 'string' ? part : part.map((piece) => values[piece] ?? piece).join('');
    return name;
  };
}

/** What Elasticsearch would refuse in an index name, in words; undefined when it is fine. */
function indexNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name !== name.toLowerCase()) return 'must be lower case (Elasticsearch index names are)';
  if (/[\\/*?"<>| ,#:]/.test(name)) return 'must not contain \\ / * ? " < > | space , # or :';
  if (/^[-_+]/.test(name)) return 'must not start with -, _ or +';
  if (name === '.' || name === '..') return 'must not be . or ..';
  if (Buffer.byteLength(name) > 255) return 'must be at most 255 bytes';
  return undefined;
}
