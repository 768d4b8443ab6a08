// Validates a JSON body without building objects: syntax exactly as JSON.parse accepts it (RFC
// 8259), nesting depth, and each event's required fields. Ingest stores the client's bytes, so the
// hot path allocates almost nothing; events are parsed once, later, where they are formatted.
// One loop with local state (no recursion, no closures) so V8 compiles it tight; its tokens are
// json-tokens.ts, the event fields it captures and checks are event-fields.ts.
// Differentially tested against JSON.parse (test/ingest/json-validator.test.ts).
import type { EventProblem } from './event-problem.js';
import { addProblems, checkFields, classify, setField, ACTION, ID, OTHER, RECORDED_AT, SOURCE, TYPE, type Fields, type Found } from './event-fields.js';
import { article } from './validate-event.js';
import { lastEscaped, matches, mismatch, scanNumber, scanString, wordsOf } from './json-tokens.js';

export { capturedText } from './event-fields.js';

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
  const words = wordsOf(bytes);
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
          const end = scanString(bytes, i, words);
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
        const end = scanString(bytes, i, words);
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
