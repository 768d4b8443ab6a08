// Reads an ingest body into validated events, all or nothing: a JSON object, a JSON array, or
// NDJSON parsed line by line as it streams in. Bounded before and after gunzip, UTF-8 checked,
// nesting limited, and every problem named by index (or line), JSON pointer and message.
import { isUtf8 } from 'node:buffer';
import { Transform, pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import split2 from 'split2';
import type { ActivityEvent } from '../event/activity-event.js';
import type { RawPayload } from '../event/payload.js';
import { IngestError, maxReportedProblems, type EventProblem } from './ingest-error.js';
import { jsonErrorOffset } from '../util/json-error-offset.js';
import { scanJson, type ScannedEvent } from '../event/json-validator.js';
import { maxJsonDepth, nestsDeeperThan, validateEvent } from '../event/validate-event.js';

export type BodyFormat = 'json' | 'ndjson';

export interface ReadOptions {
  format: BodyFormat;
  gzip: boolean;
  limitBytes: number;
}

export interface ReadEvents {
  count: number;
  /** The parsed events, when reading needed them anyway (NDJSON); JSON bodies are only validated. */
  events?: ActivityEvent[];
  /** Where each event of a JSON body sits, from the validating scan (so delivery need not scan again). */
  scanned?: ScannedEvent[];
  /** The (inflated) body: exactly these events, stored as is by the journal. */
  payload: RawPayload;
}

export async function readEvents(raw: Readable, options: ReadOptions): Promise<ReadEvents> {
  const kb = Math.round(options.limitBytes / 1024);
  const limit = {
    bytes: options.limitBytes,
    message: options.gzip ? `the body inflates to more than server.maxBodyKB (${kb} KB)` : `the body is larger than server.maxBodyKB (${kb} KB)`,
  };
  // Compressed bytes are bounded too, so a client cannot stream an endless gzip body.
  const body = options.gzip ? (pipeline([raw, byteLimit(options.limitBytes, `the body is larger than server.maxBodyKB (${kb} KB)`), createGunzip()], () => undefined) as unknown as Readable) : raw;
  try {
    return options.format === 'json' ? parseJson(await collect(body, limit)) : await parseNdjson(body, limit);
  } catch (error) {
    throw toIngestError(error);
  }
}

interface Limit {
  bytes: number;
  message: string;
}

function byteLimit(limit: number, message: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(new IngestError(413, 'too_large', message));
      else done(null, chunk);
    },
  });
}

async function collect(body: Readable, limit: Limit): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit.bytes) throw new IngestError(413, 'too_large', limit.message);
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function toIngestError(error: unknown): IngestError {
  if (error instanceof IngestError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('Z_')) return new IngestError(400, 'bad_gzip', 'the body is not valid gzip (Content-Encoding: gzip)');
  throw error;
}

const utf8 = () => new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const invalidUtf8 = () => new IngestError(400, 'invalid_utf8', 'the body is not valid UTF-8');

function parseJson(body: Buffer): ReadEvents {
  // A UTF-8 byte order mark is not JSON; drop it rather than store what JSON.parse refuses.
  const bytes = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body;
  if (!isUtf8(bytes)) throw invalidUtf8();
  if (isBlank(bytes)) {
    throw new IngestError(400, 'empty_body', 'the body is empty; send a JSON object, a JSON array or NDJSON');
  }
  const scanned: ScannedEvent[] = [];
  const scan = scanJson(bytes, maxJsonDepth, maxReportedProblems, scanned);
  if (scan.kind === 'too-deep') throw tooDeep();
  if (scan.kind === 'syntax') {
    const text = bytes.toString('utf8');
    let error: unknown;
    try {
      JSON.parse(text);
    } catch (caught) {
      error = caught;
    }
    // JSON.parse is the reference: should the scanner ever refuse what it accepts, it decides.
    if (error === undefined) return validateParsed(JSON.parse(text) as unknown, bytes);
    const message = `malformed JSON${syntaxErrorPlace(error as SyntaxError, text)}`;
    throw new IngestError(400, 'malformed_json', `${message}; nothing was stored`, { problems: [{ path: '', message }] });
  }
  if (scan.invalid > 0) throw invalidEvents(scan.problems, scan.invalid, scan.count);
  return { count: scan.count, payload: { format: scan.format, bytes }, scanned };
}

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

function tooDeep(): IngestError {
  return new IngestError(400, 'too_deep', `the body nests deeper than ${maxJsonDepth} levels; nothing was stored`, { problems: [{ path: '', message: `nests deeper than ${maxJsonDepth} levels` }] });
}

/** The object-based path, for the (unexpected) case the scanner and JSON.parse disagree. */
function validateParsed(value: unknown, bytes: Buffer): ReadEvents {
  if (nestsDeeperThan(value, maxJsonDepth)) throw tooDeep();
  const events = Array.isArray(value) ? (value as unknown[]) : [value];
  const problems: EventProblem[] = [];
  let invalid = 0;
  for (let index = 0; index < events.length; index++) {
    const found = validateEvent(events[index], { index });
    if (found.length === 0) continue;
    invalid++;
    problems.push(...found.slice(0, maxReportedProblems - problems.length));
  }
  if (invalid > 0) throw invalidEvents(problems, invalid, events.length);
  return { count: events.length, events: events as ActivityEvent[], payload: { format: Array.isArray(value) ? 'array' : 'object', bytes } };
}

async function parseNdjson(body: Readable, limit: Limit): Promise<ReadEvents> {
  const decoder = utf8();
  const chunks: Buffer[] = [];
  let size = 0;
  let stored = 0;
  // The first bytes wait until a byte order mark can be told apart: it is dropped, as for JSON.
  let head: Buffer | undefined = Buffer.alloc(0);
  const take = (bytes: Buffer, push: (bytes: Buffer) => void) => {
    decoder.decode(bytes, { stream: true });
    chunks.push(bytes);
    stored += bytes.length;
    push(bytes);
  };
  const takeHead = (push: (bytes: Buffer) => void) => {
    const bytes = head![0] === 0xef && head![1] === 0xbb && head![2] === 0xbf ? head!.subarray(3) : head!;
    head = undefined;
    if (bytes.length > 0) take(bytes, push);
  };
  const checked = body.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > limit.bytes) return done(new IngestError(413, 'too_large', limit.message));
        try {
          if (head === undefined) take(chunk, (bytes) => this.push(bytes));
          else {
            head = Buffer.concat([head, chunk]);
            if (head.length >= 3) takeHead((bytes) => this.push(bytes));
          }
          done();
        } catch {
          done(invalidUtf8());
        }
      },
      flush(done) {
        try {
          if (head !== undefined) takeHead((bytes) => this.push(bytes));
          decoder.decode();
          done();
        } catch {
          done(invalidUtf8());
        }
      },
    }),
  );
  body.on('error', (error) => checked.destroy(error));
  const lines = checked.pipe(split2());
  checked.on('error', (error) => lines.destroy(error));

  const events: unknown[] = [];
  const problems: EventProblem[] = [];
  let invalid = 0;
  let malformed = 0;
  let tooDeep = 0;
  let lineNumber = 0;
  const report = (found: EventProblem[]) => {
    invalid++;
    problems.push(...found.slice(0, maxReportedProblems - problems.length));
  };
  for await (const text of lines as AsyncIterable<string>) {
    lineNumber++;
    if (text.trim() === '') continue;
    const position = { index: events.length, line: lineNumber };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      malformed++;
      report([{ ...position, path: '', message: `line ${lineNumber}: malformed JSON${syntaxErrorPlace(error as SyntaxError, text)}` }]);
      events.push(undefined);
      continue;
    }
    events.push(value);
    if (nestsDeeperThan(value, maxJsonDepth)) {
      tooDeep++;
      report([{ ...position, path: '', message: `line ${lineNumber}: nests deeper than ${maxJsonDepth} levels` }]);
      continue;
    }
    const found = validateEvent(value, position);
    if (found.length > 0) report(found);
  }
  if (events.length === 0) throw new IngestError(400, 'empty_body', 'the body is empty; send one JSON object per line');
  if (invalid > 0) {
    const error = invalidEvents(problems, invalid, events.length);
    if (malformed > 0) throw new IngestError(400, 'malformed_json', error.message, { problems: error.problems, events: events.length });
    if (tooDeep > 0) throw new IngestError(400, 'too_deep', error.message, { problems: error.problems, events: events.length });
    throw error;
  }
  return { count: events.length, events: events as ActivityEvent[], payload: { format: 'ndjson', bytes: Buffer.concat(chunks, stored) } };
}

function invalidEvents(problems: EventProblem[], invalid: number, total: number): IngestError {
  const more = invalid > problems.length ? ` (the first ${problems.length} problems are listed)` : '';
  return new IngestError(400, 'invalid_event', `${invalid} of ${total} events are invalid${more}; nothing was stored`, { problems, events: total });
}

/** ` at character 17 (line 2, column 5): Expected ',' or ']' after array element`. */
function syntaxErrorPlace(error: SyntaxError, text: string): string {
  // V8 names the position for most errors; for the others the offset is found by a small scanner.
  const match = / in JSON at position (\d+)/.exec(error.message);
  const position = match ? Number(match[1]) : jsonErrorOffset(text);
  const reason = syntaxReason(error.message);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return ` at character ${position} (line ${line}, column ${column}): ${reason}`;
}

/**
 * V8's reason without its echo of the input (`Unexpected token 'o', ..."hij","x": oops..." is not
 * valid JSON` quotes event data, which can be personal data): only reasons that name no input are kept.
 */
function syntaxReason(message: string): string {
  const kept = / in JSON at position \d+/.exec(message);
  if (kept !== null) return message.slice(0, kept.index);
  if (message === 'Unexpected end of JSON input') return message;
  if (message.startsWith('Unexpected token')) return 'Unexpected character';
  return 'not valid JSON';
}
