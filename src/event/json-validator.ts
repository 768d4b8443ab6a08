// Validates a JSON body without building objects: syntax exactly as JSON.parse accepts it (RFC
// 8259), nesting depth, and each event's required fields. Ingest stores the client's bytes, so the
// hot path allocates almost nothing; events are parsed once, later, where they are formatted.
// One loop with local state (no recursion, no closures) so V8 compiles it tight.
// Differentially tested against JSON.parse (test/ingest/json-validator.test.ts).
import type { EventProblem } from './event-problem.js';
import { article, dateTimeProblem } from './validate-event.js';

export type ScanResult =
  | { kind: 'ok'; format: 'array' | 'object'; count: number; invalid: number; problems: EventProblem[] }
  /** A syntax error at byte `offset`: the caller builds the message with JSON.parse's own words. */
  | { kind: 'syntax'; offset: number }
  | { kind: 'too-deep' };

// Parser states.
const VALUE = 0; // a value must follow
const VALUE_OR_CLOSE = 1; // just after '[': a value or ']'
const KEY_OR_CLOSE = 2; // just after '{': a key or '}'
const KEY = 3; // after ',' in an object
const COLON = 4;
const AFTER_VALUE = 5; // ',' or the container's close

const OBJECT = 1;
const ARRAY = 2;

// Which key we are in, where it matters.
const OTHER = 0;
const ID = 1;
const RECORDED_AT = 2;
const ACTION = 3;
const TYPE = 4;
const SOURCE = 5;

/** A captured value: a string span, or the kind of a non-string value. */
interface Captured {
  start: number;
  end: number;
  escaped: boolean;
  kind: string;
}

interface Fields {
  id?: Captured;
  recordedAt?: Captured;
  action?: string;
  type?: Captured;
}

/** Where one event and the parts the pipeline needs sit in the bytes (when the caller asks). */
export interface ScannedEvent extends Fields {
  start: number;
  end: number;
  /** The top-level "source" member: key quote, value start, value end; how many there were. */
  sourceKeyStart?: number;
  sourceValueStart?: number;
  sourceValueEnd?: number;
  sources: number;
}

export function scanJson(bytes: Buffer, maxDepth: number, maxProblems: number, events?: ScannedEvent[]): ScanResult {
  const n = bytes.length;
  const containers = new Uint8Array(maxDepth + 2);
  const found: Found = { invalid: 0, problems: [], maxProblems };
  let i = 0;
  let depth = 0;
  let count = 0;

  while (i < n && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  const format = bytes[i] === 0x5b ? 'array' : 'object';
  /** Depth inside the event object: 1 for a single object body, 2 inside the top-level array. */
  const eventDepth = format === 'array' ? 2 : 1;
  let state = VALUE;
  let fields: ScannedEvent = { start: 0, end: 0, sources: 0 };
  let keyStart = 0;
  let sourceDepth = -1;
  let eventKey = OTHER;
  let actionKey = OTHER;
  let inAction = false;
  let stringEnd = 0;
  let stringEscaped = false;

  scan: for (;;) {
    while (i < n) {
      const c = bytes[i]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    if (i >= n) {
      if (depth === 0 && state === AFTER_VALUE) break;
      return { kind: 'syntax', offset: n };
    }
    const c = bytes[i]!;
    switch (state) {
      case VALUE:
      case VALUE_OR_CLOSE: {
        if (state === VALUE_OR_CLOSE && c === 0x5d) {
          i++;
          if (depth === sourceDepth) {
            fields.sourceValueEnd = i;
            sourceDepth = -1;
          }
          depth--;
          state = AFTER_VALUE;
          break;
        }
        // Which value is this? An event, an event field, or action.type.
        const isEvent = depth === eventDepth - 1;
        const capture = depth === eventDepth && (eventKey === ID || eventKey === RECORDED_AT || eventKey === ACTION) ? eventKey : depth === eventDepth + 1 && inAction && actionKey === TYPE ? TYPE : OTHER;
        if (isEvent) {
          count++;
          fields = { start: i, end: 0, sources: 0 };
          sourceDepth = -1;
        }
        if (depth === eventDepth && eventKey === SOURCE) {
          fields.sources++;
          fields.sourceKeyStart = keyStart;
          fields.sourceValueStart = i;
          sourceDepth = c === 0x7b || c === 0x5b ? depth + 1 : -1;
        }
        if (c === 0x7b || c === 0x5b) {
          if (++depth > maxDepth) return { kind: 'too-deep' };
          containers[depth] = c === 0x7b ? OBJECT : ARRAY;
          state = c === 0x7b ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
          i++;
          if (capture === ACTION) {
            fields.action = c === 0x7b ? 'object' : 'array';
            fields.type = undefined; // a later duplicate "action" replaces an earlier one, as in JSON.parse
            inAction = c === 0x7b;
            actionKey = OTHER;
          } else if (capture !== OTHER) setField(fields, capture, { start: 0, end: 0, escaped: false, kind: c === 0x7b ? 'object' : 'array' });
          if (isEvent && c !== 0x7b) addProblems(found, [{ index: count - 1, path: '', message: 'must be a JSON object, not an array' }]);
          if (isEvent && c === 0x7b) {
            eventKey = OTHER;
            inAction = false;
          }
          break;
        }
        let kind: string;
        const start = i + 1;
        if (c === 0x22) {
          const end = scanString(bytes, i);
          if (end < 0) return { kind: 'syntax', offset: -end - 1 };
          i = end + 1;
          kind = 'string';
          stringEnd = end;
          stringEscaped = lastEscaped;
        } else if (c === 0x74) {
          if (!matches(bytes, i, 'true')) return { kind: 'syntax', offset: mismatch(bytes, i, 'true') };
          i += 4;
          kind = 'boolean';
        } else if (c === 0x66) {
          if (!matches(bytes, i, 'false')) return { kind: 'syntax', offset: mismatch(bytes, i, 'false') };
          i += 5;
          kind = 'boolean';
        } else if (c === 0x6e) {
          if (!matches(bytes, i, 'null')) return { kind: 'syntax', offset: mismatch(bytes, i, 'null') };
          i += 4;
          kind = 'null';
        } else {
          const end = scanNumber(bytes, i);
          if (end < 0) return { kind: 'syntax', offset: -end - 1 };
          i = end;
          kind = 'number';
        }
        if (capture === ACTION) {
          fields.action = kind;
          fields.type = undefined;
          inAction = false;
        } else if (capture !== OTHER) setField(fields, capture, { start, end: stringEnd, escaped: stringEscaped, kind });
        if (depth === eventDepth && eventKey === SOURCE) fields.sourceValueEnd = i;
        if (isEvent) addProblems(found, [{ index: count - 1, path: '', message: `must be a JSON object, not ${article(kind)}` }]);
        state = AFTER_VALUE;
        break;
      }
      case KEY_OR_CLOSE:
      case KEY: {
        if (state === KEY_OR_CLOSE && c === 0x7d) {
          // (closing an object is written out twice: a shared closure would slow the whole loop)
          i++;
          if (depth === eventDepth + 1 && inAction) inAction = false;
          if (depth === sourceDepth) {
            fields.sourceValueEnd = i;
            sourceDepth = -1;
          }
          if (depth === eventDepth) {
            addProblems(found, checkFields(bytes, fields, count - 1));
            fields.end = i;
            events?.push(fields);
          }
          depth--;
          state = AFTER_VALUE;
          break;
        }
        if (c !== 0x22) return { kind: 'syntax', offset: i };
        const end = scanString(bytes, i);
        if (end < 0) return { kind: 'syntax', offset: -end - 1 };
        if (depth === eventDepth) {
          keyStart = i;
          eventKey = classify(bytes, i + 1, end, lastEscaped, false);
        }
        else if (depth === eventDepth + 1 && inAction) actionKey = classify(bytes, i + 1, end, lastEscaped, true);
        i = end + 1;
        state = COLON;
        break;
      }
      case COLON:
        if (c !== 0x3a) return { kind: 'syntax', offset: i };
        i++;
        state = VALUE;
        break;
      case AFTER_VALUE:
        if (depth === 0) return { kind: 'syntax', offset: i }; // something after the top-level value
        if (c === 0x2c) {
          i++;
          state = containers[depth] === OBJECT ? KEY : VALUE;
        } else if (c === 0x7d && containers[depth] === OBJECT) {
          i++;
          if (depth === eventDepth + 1 && inAction) inAction = false;
          if (depth === sourceDepth) {
            fields.sourceValueEnd = i;
            sourceDepth = -1;
          }
          if (depth === eventDepth) {
            addProblems(found, checkFields(bytes, fields, count - 1));
            fields.end = i;
            events?.push(fields);
          }
          depth--;
          state = AFTER_VALUE;
        } else if (c === 0x5d && containers[depth] === ARRAY) {
          i++;
          if (depth === sourceDepth) {
            fields.sourceValueEnd = i;
            sourceDepth = -1;
          }
          depth--;
          state = AFTER_VALUE;
        } else return { kind: 'syntax', offset: i };
        break;
    }
    continue scan;
  }
  return { kind: 'ok', format, count, invalid: found.invalid, problems: found.problems };
}

interface Found {
  invalid: number;
  problems: EventProblem[];
  maxProblems: number;
}

/** Counts an invalid event and keeps its problems, up to the reporting limit. */
function addProblems(found: Found, problems: EventProblem[]): void {
  if (problems.length === 0) return;
  found.invalid++;
  for (const problem of problems) if (found.problems.length < found.maxProblems) found.problems.push(problem);
}

function setField(fields: Fields, key: number, value: Captured): void {
  if (key === ID) fields.id = value;
  else if (key === RECORDED_AT) fields.recordedAt = value;
  else fields.type = value;
}

let lastEscaped = false;

/** 1 for the bytes a string holds as they are (not a quote, a backslash or a control character). */
const plainInString = new Uint8Array(256).map((_, c) => (c >= 0x20 && c !== 0x22 && c !== 0x5c ? 1 : 0));

/** Index of the closing quote of the string opening at `quote`, or -(offset + 1) of a syntax error. */
function scanString(bytes: Buffer, quote: number): number {
  const n = bytes.length;
  let i = quote + 1;
  let escaped = false;
  for (;;) {
    // The common bytes in one table look each (past the end, bytes[i] is undefined: not plain).
    while (plainInString[bytes[i]!] === 1) i++;
    if (i >= n) return -(n + 1);
    const c = bytes[i]!;
    if (c === 0x22) break;
    if (c < 0x20) return -(i + 1);
    // A backslash.
    escaped = true;
    const e = bytes[i + 1];
    if (e === 0x75) {
      for (let k = 2; k <= 5; k++) {
        const h = bytes[i + k];
        if (h === undefined || !((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) return -(Math.min(i + k, n) + 1);
      }
      i += 6;
    } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
    else return -(Math.min(i + 1, n) + 1);
  }
  lastEscaped = escaped;
  return i;
}

/** Index just after the number starting at `start`, or -(offset + 1) of a syntax error. */
function scanNumber(bytes: Buffer, start: number): number {
  let i = start;
  if (bytes[i] === 0x2d) i++;
  if (bytes[i] === 0x30) i++;
  else if (isDigit(bytes[i])) while (isDigit(bytes[i])) i++;
  else return -(i + 1);
  if (bytes[i] === 0x2e) {
    i++;
    if (!isDigit(bytes[i])) return -(i + 1);
    while (isDigit(bytes[i])) i++;
  }
  if (bytes[i] === 0x65 || bytes[i] === 0x45) {
    i++;
    if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
    if (!isDigit(bytes[i])) return -(i + 1);
    while (isDigit(bytes[i])) i++;
  }
  return i;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function matches(bytes: Buffer, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (bytes[at + k] !== word.charCodeAt(k)) return false;
  return true;
}

function mismatch(bytes: Buffer, at: number, word: string): number {
  let k = 0;
  while (k < word.length && bytes[at + k] === word.charCodeAt(k)) k++;
  return Math.min(at + k, bytes.length);
}

const keys = { id: ID, recordedAt: RECORDED_AT, action: ACTION, source: SOURCE } as Record<string, number>;

/** Which required key the bytes [start, end) name; compared as bytes unless escaped. */
function classify(bytes: Buffer, start: number, end: number, escaped: boolean, inAction: boolean): number {
  const length = end - start;
  if (!escaped) {
    if (inAction) return length === 4 && matches(bytes, start, 'type') ? TYPE : OTHER;
    if (length === 2) return matches(bytes, start, 'id') ? ID : OTHER;
    if (length === 10) return matches(bytes, start, 'recordedAt') ? RECORDED_AT : OTHER;
    if (length === 6) return matches(bytes, start, 'action') ? ACTION : matches(bytes, start, 'source') ? SOURCE : OTHER;
    return OTHER;
  }
  // "\u0069d" is "id" to JSON.parse, so it is here too.
  const key = JSON.parse(bytes.toString('utf8', start - 1, end + 1)) as string;
  if (inAction) return key === 'type' ? TYPE : OTHER;
  return keys[key] ?? OTHER;
}

/** The text of a captured string value, unescaped as JSON.parse would. */
export function capturedText(bytes: Buffer, value: Captured): string {
  return text(bytes, value);
}

function text(bytes: Buffer, value: Captured): string {
  return value.escaped ? (JSON.parse(bytes.toString('utf8', value.start - 1, value.end + 1)) as string) : bytes.toString('utf8', value.start, value.end);
}

function checkFields(bytes: Buffer, fields: Fields, index: number): EventProblem[] {
  const problems: EventProblem[] = [];
  const at = (path: string, message: string) => problems.push({ index, path, message });
  const { id, recordedAt, type } = fields;
  if (id === undefined) at('/id', 'is required');
  else if (id.kind !== 'string') at('/id', `must be a non-empty string, not ${article(id.kind)}`);
  else if (id.end === id.start) at('/id', 'must be a non-empty string, not an empty string');
  else if (id.end - id.start > 1024 && text(bytes, id).length > 1024) at('/id', 'must be at most 1024 characters');
  if (recordedAt === undefined) at('/recordedAt', 'is required');
  else if (recordedAt.kind !== 'string') at('/recordedAt', `must be an ISO-8601 date-time string, not ${article(recordedAt.kind)}`);
  else {
    const value = text(bytes, recordedAt);
    const problem = dateTimeProblem(value);
    if (problem !== undefined) at('/recordedAt', problem);
  }
  if (fields.action === undefined) at('/action/type', 'is required');
  else if (fields.action !== 'object') at('/action', `must be an object, not ${article(fields.action)}`);
  else if (type === undefined) at('/action/type', 'is required');
  else if (type.kind !== 'string') at('/action/type', `must be a non-empty string, not ${article(type.kind)}`);
  else if (type.end === type.start) at('/action/type', 'must be a non-empty string, not an empty string');
  return problems;
}
