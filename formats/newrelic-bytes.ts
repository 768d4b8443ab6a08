// NEWRELIC's item straight from the event's stored bytes: one pass over the JSON writes each leaf
// as `"a.b.0.c":value`, copying the key and value bytes, without parsing the event into objects
// or building the attributes as one (the cost of this format). Where the bytes hold anything the
// parsed path treats in its own way — an escape in a key, a dotted, numeric, empty or repeated
// key, a top-level key the gateway's own names start with, a value or name past New Relic's
// limits, more leaves than the limit — it answers undefined and the caller takes the parsed path,
// so the output is always exactly JSON.stringify(format(…)).
import type { AttributeLimits } from './flatten-attributes.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const empty = Buffer.alloc(0);

/** What the walk found besides the members. */
export interface ByteFlattened {
  /** The members, comma-separated, in a buffer shared by every call: copy before the next. */
  members: Buffer;
  /** action.type and action.description when they are strings. */
  actionType: string | undefined;
  description: string | undefined;
}

/** The walk's state, one per thread: a walk is synchronous, so the buffers are reused. */
const walk = {
  src: Buffer.alloc(0) as Buffer,
  pos: 0,
  out: Buffer.allocUnsafe(16 * 1024) as Buffer,
  outLength: 0,
  /** The path of the current value: key byte ranges, or array indexes (start -1). */
  segStart: new Int32Array(64),
  segEnd: new Int32Array(64),
  depth: 0,
  count: 0,
  room: 0,
  limits: undefined as unknown as AttributeLimits,
  stringBooleans: false,
  reservedFirsts: [] as readonly string[],
  actionType: undefined as string | undefined,
  description: undefined as string | undefined,
  unsafe: false,
};

export function flattenEventBytes(src: Buffer, start: number, end: number, limits: AttributeLimits, reserved: readonly string[], reservedFirsts: readonly string[], stringBooleans: boolean): ByteFlattened | undefined {
  walk.src = src;
  walk.pos = start;
  keyTop = 0;
  walk.outLength = 0;
  walk.depth = 0;
  walk.count = 0;
  walk.room = limits.maxAttributes - reserved.length;
  walk.limits = limits;
  walk.stringBooleans = stringBooleans;
  walk.reservedFirsts = reservedFirsts;
  walk.actionType = undefined;
  walk.description = undefined;
  walk.unsafe = false;
  skipSpace();
  if (walk.src[walk.pos] !== 0x7b) return undefined;
  object();
  walk.src = empty;
  // The walk must end where the event does (anything else is a bug, not a reason to guess).
  if (walk.unsafe || walk.pos !== end) return undefined;
  return { members: walk.out.subarray(0, walk.outLength), actionType: walk.actionType, description: walk.description };
}

function skipSpace(): void {
  const src = walk.src;
  let pos = walk.pos;
  for (;;) {
    const c = src[pos];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
    else break;
  }
  walk.pos = pos;
}

function value(): void {
  const c = walk.src[walk.pos];
  if (c === 0x7b) object();
  else if (c === 0x5b) array();
  else if (c === QUOTE) stringLeaf();
  else if (c === 0x6e) walk.pos += 4; // null: no attribute
  else if (c === 0x74) literalLeaf(4, walk.stringBooleans ? '"true"' : 'true');
  else if (c === 0x66) literalLeaf(5, walk.stringBooleans ? '"false"' : 'false');
  else numberLeaf();
}

function object(): void {
  const src = walk.src;
  walk.pos++;
  const first = walk.depth;
  if (first >= walk.segStart.length) return void (walk.unsafe = true);
  const base = keyTop;
  for (let keys = 0; ; keys++) {
    skipSpace();
    if (src[walk.pos] === 0x7d) {
      walk.pos++;
      keyTop = base;
      return;
    }
    if (keys > 0) {
      walk.pos++; // ','
      skipSpace();
    }
    // The key: its bytes between the quotes, which must need no decoding.
    const keyStart = walk.pos + 1;
    let pos = keyStart;
    for (;;) {
      const c = src[pos]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c === DOT) return void (walk.unsafe = true);
      pos++;
    }
    const keyEnd = pos;
    const lead = src[keyStart]!;
    // Empty and numeric keys: an object orders numeric keys first, and the parsed path names an empty one differently.
    if (keyEnd === keyStart || (lead >= 0x30 && lead <= 0x39)) return void (walk.unsafe = true);
    if (first === 0 && reservedFirst(keyStart, keyEnd)) return void (walk.unsafe = true);
    // A repeated key: the parsed object keeps one value, at the first key's place.
    if (repeated(keyStart, keyEnd, base)) return void (walk.unsafe = true);
    if (keyTop + 2 > keyList.length) return void (walk.unsafe = true);
    keyList[keyTop++] = keyStart;
    keyList[keyTop++] = keyEnd;
    walk.pos = keyEnd + 1;
    skipSpace();
    walk.pos++; // ':'
    skipSpace();
    walk.segStart[first] = keyStart;
    walk.segEnd[first] = keyEnd;
    walk.depth = first + 1;
    value();
    walk.depth = first;
    if (walk.unsafe) return;
  }
}

/** The keys of the objects being walked, as start/end pairs up to keyTop: each object's from its `base` on (a nested object's are gone when it ends). */
const keyList = new Int32Array(4096);
let keyTop = 0;

function repeated(start: number, end: number, base: number): boolean {
  for (let k = base; k < keyTop; k += 2) if (sameBytes(walk.src, keyList[k]!, keyList[k + 1]!, start, end)) return true;
  return false;
}

function sameBytes(src: Buffer, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let k = 0; k < aEnd - aStart; k++) if (src[aStart + k] !== src[bStart + k]) return false;
  return true;
}

/** True when src[start, end) spells `name` (ASCII). */
function spells(src: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (src[start + k] !== name.charCodeAt(k)) return false;
  return true;
}

function reservedFirst(start: number, end: number): boolean {
  for (const name of walk.reservedFirsts) if (spells(walk.src, start, end, name)) return true;
  return false;
}

function array(): void {
  const src = walk.src;
  walk.pos++;
  const first = walk.depth;
  if (first >= walk.segStart.length) return void (walk.unsafe = true);
  for (let index = 0; ; index++) {
    skipSpace();
    if (src[walk.pos] === 0x5d) {
      walk.pos++;
      return;
    }
    if (index > 0) {
      walk.pos++; // ','
      skipSpace();
    }
    walk.segStart[first] = -1;
    walk.segEnd[first] = index;
    walk.depth = first + 1;
    value();
    walk.depth = first;
    if (walk.unsafe) return;
  }
}

/** Writes `,"a.b.0":` for the current path; false (and unsafe) past the limits. */
function writeName(): boolean {
  if (walk.count >= walk.room) {
    walk.unsafe = true;
    return false;
  }
  walk.count++;
  const { segStart, segEnd, depth, src } = walk;
  let nameBytes = depth - 1;
  for (let d = 0; d < depth; d++) nameBytes += segStart[d]! < 0 ? digitsOf(segEnd[d]!) : segEnd[d]! - segStart[d]!;
  // Bytes bound characters from above: past the limit in bytes, the parsed path measures it.
  if (nameBytes > walk.limits.maxNameLength) {
    walk.unsafe = true;
    return false;
  }
  reserve(nameBytes + 4);
  const out = walk.out;
  let at = walk.outLength;
  if (at > 0) out[at++] = 0x2c;
  out[at++] = QUOTE;
  for (let d = 0; d < depth; d++) {
    if (d > 0) out[at++] = DOT;
    if (segStart[d]! < 0) at += writeIndex(segEnd[d]!, out, at);
    else at += copyBytes(src, segStart[d]!, segEnd[d]!, out, at);
  }
  out[at++] = QUOTE;
  out[at++] = 0x3a;
  walk.outLength = at;
  return true;
}

/** Copies src[start, end) to out at `at`; short spans byte by byte (Buffer.copy's call costs more than a short loop). */
function copyBytes(src: Buffer, start: number, end: number, out: Buffer, at: number): number {
  if (end - start > 64) return src.copy(out, at, start, end);
  for (let k = start; k < end; k++) out[at++] = src[k]!;
  return end - start;
}

function reserve(bytes: number): void {
  if (walk.outLength + bytes <= walk.out.length) return;
  const grown = Buffer.allocUnsafe(Math.max(walk.out.length * 2, walk.outLength + bytes));
  walk.out.copy(grown, 0, 0, walk.outLength);
  walk.out = grown;
}

function digitsOf(index: number): number {
  let digits = 1;
  while (index >= 10) {
    index = Math.floor(index / 10);
    digits++;
  }
  return digits;
}

/** An array index in decimal. */
function writeIndex(index: number, out: Buffer, at: number): number {
  const digits = digitsOf(index);
  for (let k = digits - 1; k >= 0; k--) {
    out[at + k] = 0x30 + (index % 10);
    index = Math.floor(index / 10);
  }
  return digits;
}

function writeText(text: string): void {
  reserve(Buffer.byteLength(text));
  walk.outLength += walk.out.write(text, walk.outLength, 'utf8');
}

function stringLeaf(): void {
  const src = walk.src;
  const start = walk.pos;
  let pos = start + 1;
  let escaped = false;
  for (;;) {
    const c = src[pos]!;
    if (c === QUOTE) break;
    if (c === BACKSLASH) {
      escaped = true;
      pos += 2;
    } else pos++;
  }
  const end = pos + 1;
  walk.pos = end;
  // Bytes bound characters from above: a longer value may need cutting, which the parsed path does.
  if (end - start - 2 > walk.limits.maxValueLength) return void (walk.unsafe = true);
  const { segStart, segEnd, depth } = walk;
  // action.type and action.description make the log message.
  const action = depth === 2 && segStart[1]! >= 0 && spells(src, segStart[0]!, segEnd[0]!, 'action');
  const member = !action ? undefined : spells(src, segStart[1]!, segEnd[1]!, 'type') ? 'type' : spells(src, segStart[1]!, segEnd[1]!, 'description') ? 'description' : undefined;
  if (!writeName()) return;
  let text: string | undefined;
  if (!escaped) {
    reserve(end - start);
    walk.outLength += copyBytes(src, start, end, walk.out, walk.outLength);
  } else {
    // Escapes are written as JSON.stringify writes them.
    text = JSON.parse(src.toString('utf8', start, end)) as string;
    writeText(JSON.stringify(text));
  }
  if (member === 'type') walk.actionType = text ?? src.toString('utf8', start + 1, end - 1);
  else if (member === 'description') walk.description = text ?? src.toString('utf8', start + 1, end - 1);
}

function literalLeaf(length: number, text: string): void {
  walk.pos += length;
  if (!writeName()) return;
  reserve(text.length);
  const out = walk.out;
  let at = walk.outLength;
  for (let k = 0; k < text.length; k++) out[at++] = text.charCodeAt(k);
  walk.outLength = at;
}

function numberLeaf(): void {
  const src = walk.src;
  const start = walk.pos;
  let pos = start;
  let plain = true;
  for (;;) {
    const c = src[pos];
    if (c === undefined) break;
    if (c >= 0x30 && c <= 0x39) pos++;
    else if (c === 0x2d || c === 0x2b || c === DOT || c === 0x65 || c === 0x45) {
      if (c !== 0x2d || pos !== start) plain = false;
      pos++;
    } else break;
  }
  walk.pos = pos;
  if (!writeName()) return;
  // A plain integer of at most 15 digits, without a leading zero or minus zero, is written as
  // JSON.stringify writes the number it parses to; anything else goes through the number.
  const digits = src[start] === 0x2d ? pos - start - 1 : pos - start;
  const lead = src[src[start] === 0x2d ? start + 1 : start];
  if (plain && digits <= 15 && (lead !== 0x30 || (digits === 1 && src[start] !== 0x2d))) {
    reserve(pos - start);
    walk.outLength += copyBytes(src, start, pos, walk.out, walk.outLength);
  } else writeText(String(Number(src.toString('latin1', start, pos))));
}
