// The lexical pieces of the JSON scan (json-validator.ts): strings, numbers and literals, checked
// byte by byte exactly as JSON.parse accepts them. Errors are -(offset + 1), so no object is made.

/** Whether the last string scanString passed held an escape (read right after the call). */
export let lastEscaped = false;

/** 1 for the bytes a string holds as they are (not a quote, a backslash or a control character). */
const plainInString = new Uint8Array(256).map((_, c) => (c >= 0x20 && c !== 0x22 && c !== 0x5c ? 1 : 0));

/**
 * The body as 32-bit words, so scanString can pass four plain bytes with one load and a few bit
 * operations (measured: 2x faster on PingOne events, whose strings are mostly UUIDs and names).
 * Only where the body starts on a 4-byte boundary (a joined body does); elsewhere byte by byte.
 */
export function wordsOf(bytes: Buffer): Int32Array | undefined {
  return bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : undefined;
}

/** Index of the closing quote of the string opening at `quote`, or -(offset + 1) of a syntax error. */
export function scanString(bytes: Buffer, quote: number, words?: Int32Array): number {
  const n = bytes.length;
  let i = quote + 1;
  let escaped = false;
  for (;;) {
    if (words !== undefined) {
      while ((i & 3) !== 0 && plainInString[bytes[i]!] === 1) i++;
      if ((i & 3) === 0) {
        // A word holds no quote, backslash or control byte when none of its bytes is below 0x20
        // and none equals 0x22 or 0x5c (the "has zero byte" test on x ^ 0x22222222 and x ^ 0x5c5c5c5c).
        let w = i >> 2;
        const end = words.length;
        while (w < end) {
          const x = words[w]!;
          const quotes = x ^ 0x22222222;
          const backslashes = x ^ 0x5c5c5c5c;
          if ((((x - 0x20202020) & ~x) | ((quotes - 0x01010101) & ~quotes) | ((backslashes - 0x01010101) & ~backslashes)) & 0x80808080) break;
          w++;
        }
        i = w << 2;
      }
    }
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
export function scanNumber(bytes: Buffer, start: number): number {
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

export function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

export function matches(bytes: Buffer, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (bytes[at + k] !== word.charCodeAt(k)) return false;
  return true;
}

export function mismatch(bytes: Buffer, at: number, word: string): number {
  let k = 0;
  while (k < word.length && bytes[at + k] === word.charCodeAt(k)) k++;
  return Math.min(at + k, bytes.length);
}
