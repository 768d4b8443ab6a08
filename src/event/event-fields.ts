// The fields of an event the gateway relies on (SPEC §1: id, recordedAt, action.type, and where
// "source" sits), as the JSON scan finds them in the bytes, and the problems it reports for them.
import type { EventProblem } from './event-problem.js';
import { matches } from './json-tokens.js';
import { article, dateTimeProblem, isCanonicalUtc } from './validate-event.js';

// Which key we are in, where it matters.
export const OTHER = 0;
export const ID = 1;
export const RECORDED_AT = 2;
export const ACTION = 3;
export const TYPE = 4;
export const SOURCE = 5;

/** A captured value: a string span, or the kind of a non-string value. */
export interface Captured {
  start: number;
  end: number;
  escaped: boolean;
  kind: string;
}

export interface Fields {
  id?: Captured;
  recordedAt?: Captured;
  action?: string;
  type?: Captured;
}

/** Where one event and the parts the pipeline needs sit in the bytes (when the caller asks). */

export interface Found {
  invalid: number;
  problems: EventProblem[];
  maxProblems: number;
}

/** Counts an invalid event and keeps its problems, up to the reporting limit. */
export function addProblems(found: Found, problems: readonly EventProblem[]): void {
  if (problems.length === 0) return;
  found.invalid++;
  for (const problem of problems) if (found.problems.length < found.maxProblems) found.problems.push(problem);
}

export function setField(fields: Fields, key: number, value: Captured): void {
  if (key === ID) fields.id = value;
  else if (key === RECORDED_AT) fields.recordedAt = value;
  else fields.type = value;
}

const keys = { id: ID, recordedAt: RECORDED_AT, action: ACTION, source: SOURCE } as Record<string, number>;

/** Which required key the bytes [start, end) name; compared as bytes unless escaped. */
export function classify(bytes: Buffer, start: number, end: number, escaped: boolean, inAction: boolean): number {
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
  return unescapedText(bytes, value.start, value.end, value.escaped);
}

/** The text of the JSON string whose contents are bytes[start, end). */
export function unescapedText(bytes: Buffer, start: number, end: number, escaped: boolean): string {
  return escaped ? (JSON.parse(bytes.toString('utf8', start - 1, end + 1)) as string) : bytes.toString('utf8', start, end);
}

const noProblems: readonly EventProblem[] = Object.freeze([]);

/** The problems of one event's fields; the shape nearly every event has is checked without allocating. */
export function checkFields(bytes: Buffer, fields: Fields, index: number): readonly EventProblem[] {
  const { id, recordedAt, type } = fields;
  const valid =
    id !== undefined && id.kind === 'string' && id.end > id.start && id.end - id.start <= 1024 &&
    recordedAt !== undefined && recordedAt.kind === 'string' && !recordedAt.escaped && isCanonicalUtc(bytes, recordedAt.start, recordedAt.end) &&
    fields.action === 'object' && type !== undefined && type.kind === 'string' && type.end > type.start;
  return valid ? noProblems : fieldProblems(bytes, fields, index);
}

function fieldProblems(bytes: Buffer, fields: Fields, index: number): EventProblem[] {
  const problems: EventProblem[] = [];
  const at = (path: string, message: string) => problems.push({ index, path, message });
  const { id, recordedAt, type } = fields;
  if (id === undefined) at('/id', 'is required');
  else if (id.kind !== 'string') at('/id', `must be a non-empty string, not ${article(id.kind)}`);
  else if (id.end === id.start) at('/id', 'must be a non-empty string, not an empty string');
  else if (id.end - id.start > 1024 && capturedText(bytes, id).length > 1024) at('/id', 'must be at most 1024 characters');
  if (recordedAt === undefined) at('/recordedAt', 'is required');
  else if (recordedAt.kind !== 'string') at('/recordedAt', `must be an ISO-8601 date-time string, not ${article(recordedAt.kind)}`);
  else {
    const value = capturedText(bytes, recordedAt);
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
