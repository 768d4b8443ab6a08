// Validates a JSON body without building objects: syntax exactly as JSON.parse accepts it (RFC
// 8259), nesting depth, and each event's required fields. Ingest stores the client's bytes, so the
// hot path allocates almost nothing; the events are parsed once, later, where they are formatted.
// Differentially tested against JSON.parse (test/ingest/json-validator.test.ts).
import type { EventProblem } from './ingest-error.js';
import { article, isoDateTime } from './validate-event.js';

export type ScanResult =
  | { kind: 'ok'; format: 'array' | 'object'; count: number; invalid: number; problems: EventProblem[] }
  /** A syntax error at byte `offset`: the caller builds the message with JSON.parse's own words. */
  | { kind: 'syntax'; offset: number }
  | { kind: 'too-deep' };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

class Syntax extends Error {
  constructor(readonly offset: number) {
    super('syntax');
  }
}
class TooDeep extends Error {}

/** A string value: its bytes between the quotes, and whether it has escapes. */
interface Span {
  start: number;
  end: number;
  escaped: boolean;
}

/** What one event's required fields look like, gathered while scanning it. */
interface Fields {
  id?: Span | string;
  recordedAt?: Span | string;
  /** `object` when action is an object (then `type` says what its type was). */
  action?: string;
  type?: Span | string;
}


export function scanJson(bytes: Buffer, maxDepth: number, maxProblems: number): ScanResult {
  let i = 0;
  const n = bytes.length;
  let depth = 0;

  const ws = () => {
    while (i < n) {
      const c = bytes[i]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const fail = (): never => {
    throw new Syntax(i);
  };
  const enter = () => {
    if (++depth > maxDepth) throw new TooDeep();
  };

  const string = (): Span => {
    const start = ++i;
    let escaped = false;
    for (;;) {
      if (i >= n) fail();
      const c = bytes[i]!;
      if (c === QUOTE) return { start, end: i++, escaped };
      if (c < 0x20) fail();
      if (c === BACKSLASH) {
        escaped = true;
        const e = bytes[++i];
        if (e === 0x75) {
          for (let k = 1; k <= 4; k++) {
            const h = bytes[i + k];
            if (h === undefined || !((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) {
              i += k;
              fail();
            }
          }
          i += 5;
        } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i++;
        else fail();
      } else i++;
    }
  };
  const digits = () => {
    const start = i;
    while (i < n && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
    if (i === start) fail();
  };
  const number = () => {
    if (bytes[i] === 0x2d) i++;
    if (bytes[i] === 0x30) i++;
    else if (bytes[i] !== undefined && bytes[i]! >= 0x31 && bytes[i]! <= 0x39) digits();
    else fail();
    if (bytes[i] === 0x2e) {
      i++;
      digits();
    }
    if (bytes[i] === 0x65 || bytes[i] === 0x45) {
      i++;
      if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
      digits();
    }
  };
  const literal = (word: string) => {
    for (let k = 0; k < word.length; k++, i++) if (bytes[i] !== word.charCodeAt(k)) fail();
  };

  /** Any value; returns what it was, for the required-field checks. */
  const value = (): 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' => {
    ws();
    const c = bytes[i];
    if (c === OPEN_BRACE) {
      object(undefined);
      return 'object';
    }
    if (c === OPEN_BRACKET) {
      enter();
      i++;
      ws();
      if (bytes[i] === CLOSE_BRACKET) {
        i++;
        depth--;
        return 'array';
      }
      for (;;) {
        value();
        ws();
        if (bytes[i] === COMMA) i++;
        else if (bytes[i] === CLOSE_BRACKET) {
          i++;
          depth--;
          return 'array';
        } else fail();
      }
    }
    if (c === QUOTE) {
      string();
      return 'string';
    }
    if (c === 0x74) return literal('true'), 'boolean';
    if (c === 0x66) return literal('false'), 'boolean';
    if (c === 0x6e) return literal('null'), 'null';
    number();
    return 'number';
  };

  /** An object. With `fields`, it is an event (or its action) whose keys are noted. */
  const object = (fields: Fields | undefined, isAction = false): void => {
    enter();
    i++;
    ws();
    if (bytes[i] === CLOSE_BRACE) {
      i++;
      depth--;
      return;
    }
    for (;;) {
      ws();
      if (bytes[i] !== QUOTE) fail();
      const keySpan = string();
      ws();
      if (bytes[i] !== COLON) fail();
      i++;
      const key = fields === undefined ? undefined : keyOf(bytes, keySpan);
      if (fields !== undefined && (isAction ? key === 'type' : key === 'id' || key === 'recordedAt')) {
        ws();
        if (bytes[i] === QUOTE) (fields as Record<string, unknown>)[key!] = string();
        else (fields as Record<string, unknown>)[key!] = value();
      } else if (fields !== undefined && !isAction && key === 'action') {
        ws();
        if (bytes[i] === OPEN_BRACE) {
          fields.action = 'object';
          fields.type = undefined; // a later duplicate "action" replaces the earlier one, as in JSON.parse
          object(fields, true);
        } else {
          fields.action = value();
          fields.type = undefined;
        }
      } else value();
      ws();
      if (bytes[i] === COMMA) i++;
      else if (bytes[i] === CLOSE_BRACE) {
        i++;
        depth--;
        return;
      } else fail();
    }
  };

  const problems: EventProblem[] = [];
  let invalid = 0;
  let count = 0;
  /** One event at the top level or inside the top-level array. */
  const event = (index: number) => {
    ws();
    count++;
    if (bytes[i] !== OPEN_BRACE) {
      const kind = value();
      invalid++;
      if (problems.length < maxProblems) problems.push({ index, path: '', message: `must be a JSON object, not ${article(kind)}` });
      return;
    }
    const fields: Fields = {};
    object(fields);
    const found = checkFields(bytes, fields, index);
    if (found.length > 0) {
      invalid++;
      for (const problem of found) if (problems.length < maxProblems) problems.push(problem);
    }
  };

  try {
    ws();
    let format: 'array' | 'object' = 'object';
    if (bytes[i] === OPEN_BRACKET) {
      format = 'array';
      enter();
      i++;
      ws();
      if (bytes[i] === CLOSE_BRACKET) i++;
      else {
        for (let index = 0; ; index++) {
          event(index);
          ws();
          if (bytes[i] === COMMA) i++;
          else if (bytes[i] === CLOSE_BRACKET) {
            i++;
            break;
          } else fail();
        }
      }
    } else event(0);
    ws();
    if (i < n) fail();
    return { kind: 'ok', format, count, invalid, problems };
  } catch (error) {
    if (error instanceof Syntax) return { kind: 'syntax', offset: Math.min(error.offset, n) };
    if (error instanceof TooDeep) return { kind: 'too-deep' };
    throw error;
  }
}

function keyOf(bytes: Buffer, span: Span): string {
  // Keys with escapes ("\u0069d" is "id") are decoded exactly as JSON.parse would.
  return span.escaped ? (JSON.parse(bytes.toString('utf8', span.start - 1, span.end + 1)) as string) : bytes.toString('latin1', span.start, span.end);
}

function text(bytes: Buffer, span: Span): string {
  return span.escaped ? (JSON.parse(bytes.toString('utf8', span.start - 1, span.end + 1)) as string) : bytes.toString('utf8', span.start, span.end);
}

function checkFields(bytes: Buffer, fields: Fields, index: number): EventProblem[] {
  const problems: EventProblem[] = [];
  const at = (path: string, message: string) => problems.push({ index, path, message });
  const id = fields.id;
  if (id === undefined) at('/id', 'is required');
  else if (typeof id === 'string') at('/id', `must be a non-empty string, not ${article(id)}`);
  else if (id.end === id.start) at('/id', 'must be a non-empty string, not an empty string');
  else if (id.end - id.start > 1024 && text(bytes, id).length > 1024) at('/id', 'must be at most 1024 characters');
  const recordedAt = fields.recordedAt;
  if (recordedAt === undefined) at('/recordedAt', 'is required');
  else if (typeof recordedAt === 'string') at('/recordedAt', `must be an ISO-8601 date-time string, not ${article(recordedAt)}`);
  else {
    const value = text(bytes, recordedAt);
    if (!isoDateTime.test(value) || Number.isNaN(Date.parse(value))) at('/recordedAt', 'must be an ISO-8601 date-time with a zone, for example 2026-11-23T10:15:00.000Z');
  }
  const action = fields.action;
  if (action === undefined) at('/action/type', 'is required');
  else if (action !== 'object') at('/action', `must be an object, not ${article(action)}`);
  else if (fields.type === undefined) at('/action/type', 'is required');
  else if (typeof fields.type === 'string') at('/action/type', `must be a non-empty string, not ${article(fields.type)}`);
  else if (fields.type.end === fields.type.start) at('/action/type', 'must be a non-empty string, not an empty string');
  return problems;
}
