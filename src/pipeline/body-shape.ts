// How items become a body, with every size known before the body exists: a prefix, the items with
// a separator between them, a suffix. JSON_ARRAY (compact or pretty) and ND_JSON over HTTPS;
// JSON_DOC and RFC_LOGLINE (each item framed as a syslog line) over TCP.
import type { JournalRecord } from '../event/activity-event.js';
import type { BodyFraming, Formatter, FormatContext, HttpsEncoding } from '../contracts/formatter.js';
import { itemBytes, type Item } from '../contracts/transport.js';
import { syslogFramer, type SyslogFraming } from './syslog-line.js';

export interface BodyShape {
  readonly prefix: Buffer;
  readonly separator: Buffer;
  readonly suffix: Buffer;
  readonly contentType: string;
  encodeItem: (value: unknown) => Buffer;
  /** Wraps each encoded item with what its record says (the syslog header and octet count). */
  frame?(item: Buffer, record: JournalRecord): Buffer;
}

export type TcpEncoding = 'JSON_DOC' | 'RFC_LOGLINE';

const compactItem = (value: unknown) => Buffer.from(JSON.stringify(value));

/** `encodeItem`: how an item becomes bytes; JSON, or a framed format's own text (CEF, LEEF) as the syslog MSG. */
export function tcpBodyShape(encoding: TcpEncoding, framing: SyslogFraming, additionalAttributes?: Record<string, string>, encodeItem: (value: unknown) => Buffer = compactItem): BodyShape {
  if (encoding === 'JSON_DOC') return { prefix: Buffer.alloc(0), separator: Buffer.from('\n'), suffix: Buffer.from('\n'), contentType: 'application/x-ndjson', encodeItem };
  return { prefix: Buffer.alloc(0), separator: Buffer.alloc(0), suffix: Buffer.alloc(0), contentType: 'application/syslog', encodeItem, frame: syslogFramer(additionalAttributes, framing) };
}

/** One event per request, its body the formatter's text (TEMPLATE, SET). */
export function perRequestShape(contentType: string): BodyShape {
  const empty = Buffer.alloc(0);
  return { prefix: empty, separator: empty, suffix: empty, contentType, encodeItem: (value) => Buffer.from(value as string) };
}

/** Items the formatter writes whole, as text or bytes, in its own framing (ELASTICSEARCH's lines, OTLP's messages). */
export function framedShape({ contentType, prefix, separator, suffix }: BodyFraming): BodyShape {
  const encodeItem = (value: unknown) => (typeof value === 'string' ? Buffer.from(value) : Buffer.from((value as Uint8Array).buffer, (value as Uint8Array).byteOffset, (value as Uint8Array).byteLength));
  return { prefix: Buffer.from(prefix), separator: Buffer.from(separator), suffix: Buffer.from(suffix), contentType, encodeItem };
}

const marker = '\u0000siem-gateway-items\u0000';

export function bodyShape(encoding: HttpsEncoding, prettyPrint: boolean, formatter: Formatter, context: FormatContext): BodyShape {
  if (encoding === 'ND_JSON') {
    return {
      prefix: Buffer.alloc(0),
      separator: Buffer.from('\n'),
      suffix: Buffer.from('\n'),
      contentType: 'application/x-ndjson',
      encodeItem: compactItem,
    };
  }
  // The envelope is written once around a marker and split there, so a pretty body indents its
  // items exactly as JSON.stringify would indent the whole document.
  const envelope = formatter.arrayEnvelope?.(context, marker) ?? [marker];
  const whole = JSON.stringify(envelope, null, prettyPrint ? 2 : undefined);
  const at = whole.indexOf(JSON.stringify(marker));
  const prefix = whole.slice(0, at);
  const suffix = whole.slice(at + JSON.stringify(marker).length);
  const indent = prettyPrint ? prefix.slice(prefix.lastIndexOf('\n') + 1) : '';
  return {
    prefix: Buffer.from(prefix),
    separator: Buffer.from(prettyPrint ? `,\n${indent}` : ','),
    suffix: Buffer.from(suffix),
    contentType: 'application/json',
    encodeItem: prettyPrint ? (value) => Buffer.from(JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`)) : compactItem,
  };
}

/** Bytes of a body holding `count` items of `itemBytes` bytes in all. */
export function bodySize(shape: BodyShape, count: number, itemBytes: number): number {
  return shape.prefix.length + itemBytes + shape.separator.length * Math.max(0, count - 1) + shape.suffix.length;
}

/** The body: every item's parts between the prefix, separators and suffix, copied once. */
export function joinBody(shape: BodyShape, items: readonly Item[]): Buffer {
  const { prefix, separator, suffix } = shape;
  let bytes = 0;
  for (const item of items) bytes += itemBytes(item);
  const body = Buffer.allocUnsafe(bodySize(shape, items.length, bytes));
  let at = prefix.copy(body, 0);
  for (let index = 0; index < items.length; index++) {
    if (index > 0) at += separator.copy(body, at);
    for (const part of items[index]!) at += part.copy(body, at);
  }
  suffix.copy(body, at);
  return body;
}
