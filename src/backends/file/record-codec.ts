// The on-disk record: one accepted request (a batch of events, all of one environment) as the
// bytes the client sent, behind a length and a CRC-32, so a torn or corrupt tail is recognised at
// start-up and the hot path never re-serialises an event.
//
//   u32 LE  body length
//   u32 LE  CRC-32 of the body (zlib.crc32, native)
//   body:   f64 LE first seq | f64 LE receivedAt | u32 LE event count | u8 payload format
//           | u8 environment length | environment (latin1) | payload (UTF-8 JSON) [| scan]
//
// A JSON payload is followed by its ingest scan (packed-scan.ts: 48 bytes an event, 4 % of a 1 KB
// event) when the format byte has its high bit set: a reader behind the memory tail then reads
// where each event sits instead of scanning the bytes again, which under load made a lagging
// subscription costlier per event and so fall further behind. Records without it (NDJSON, older
// segments) are scanned as before. Gateways before this change read such records as damage.
import { crc32 } from 'node:zlib';
import type { PayloadFormat, RawPayload } from '../../event/payload.js';
import { packedScanBytesPerEvent } from '../../event/packed-scan.js';

export const recordPrefixBytes = 8;
const fixedBodyBytes = 22;
/** The bytes a record header needs before its environment: less than this at the end of a file is a torn write. */
export const recordHeaderBytes = recordPrefixBytes + fixedBodyBytes;
/** Larger than any accepted request (maxBodyKB ≤ 64 MiB): a bigger length means corruption. */
export const maxRecordBodyBytes = 80 * 1024 * 1024;

const formatCodes: Record<PayloadFormat, number> = { array: 0, object: 1, ndjson: 2 };
/** Set in the format byte when the packed scan follows the payload. */
const withScan = 0x80;
const formatNames: PayloadFormat[] = ['array', 'object', 'ndjson'];

export interface StoredBatch {
  firstSeq: number;
  count: number;
  receivedAt: number;
  environment: string;
  format: PayloadFormat;
  /** A view into the read buffer; parsed only when a reader needs the events. */
  payload: Buffer;
  /** The ingest scan stored with a JSON payload (packed-scan.ts), a view into the read buffer. */
  storedScan?: Buffer;
  /** Bytes the whole record takes, prefix included. */
  size: number;
}

/** The record header (prefix + fixed body + environment); the payload is written after it as is. */
export function encodeBatchHeader(firstSeq: number, receivedAt: number, count: number, environment: string, payload: RawPayload, scan?: Uint8Array): Buffer {
  const environmentBytes = Buffer.byteLength(environment, 'latin1');
  const header = Buffer.allocUnsafe(recordPrefixBytes + fixedBodyBytes + environmentBytes);
  header.writeUInt32LE(fixedBodyBytes + environmentBytes + payload.bytes.length + (scan?.length ?? 0), 0);
  header.writeDoubleLE(firstSeq, 8);
  header.writeDoubleLE(receivedAt, 16);
  header.writeUInt32LE(count, 24);
  header.writeUInt8(formatCodes[payload.format] | (scan === undefined ? 0 : withScan), 28);
  header.writeUInt8(environmentBytes, 29);
  header.write(environment, 30, 'latin1');
  let crc = crc32(payload.bytes, crc32(header.subarray(recordPrefixBytes)));
  if (scan !== undefined) crc = crc32(scan, crc);
  header.writeUInt32LE(crc, 4);
  return header;
}

export type DecodeResult =
  | { kind: 'batch'; batch: StoredBatch }
  /** Not enough bytes for a whole record: the caller reads more, or it is a torn tail. */
  | { kind: 'incomplete'; needBytes: number }
  | { kind: 'corrupt'; reason: string };

/** Decodes the record starting at `offset` of `buffer`. */
export function decodeBatch(buffer: Buffer, offset: number): DecodeResult {
  const available = buffer.length - offset;
  if (available < recordPrefixBytes) return { kind: 'incomplete', needBytes: recordPrefixBytes };
  const bodyLength = buffer.readUInt32LE(offset);
  if (bodyLength < fixedBodyBytes || bodyLength > maxRecordBodyBytes) return { kind: 'corrupt', reason: `impossible record length ${bodyLength}` };
  const size = recordPrefixBytes + bodyLength;
  if (available < size) return { kind: 'incomplete', needBytes: size };
  const body = buffer.subarray(offset + recordPrefixBytes, offset + size);
  if (crc32(body) !== buffer.readUInt32LE(offset + 4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  const formatByte = body.readUInt8(20);
  const format = formatNames[formatByte & ~withScan];
  const environmentBytes = body.readUInt8(21);
  const count = body.readUInt32LE(16);
  const scanBytes = formatByte & withScan ? count * packedScanBytesPerEvent : 0;
  const payloadStart = fixedBodyBytes + environmentBytes;
  if (format === undefined || payloadStart + scanBytes > bodyLength) return { kind: 'corrupt', reason: 'malformed record header' };
  return {
    kind: 'batch',
    batch: {
      firstSeq: body.readDoubleLE(0),
      receivedAt: body.readDoubleLE(8),
      count,
      format,
      environment: body.toString('latin1', fixedBodyBytes, payloadStart),
      payload: body.subarray(payloadStart, bodyLength - scanBytes),
      ...(scanBytes === 0 ? {} : { storedScan: body.subarray(bodyLength - scanBytes) }),
      size,
    },
  };
}

/** The header fields of the record at `offset`, read without the checksum (it may be damaged). */
export interface RecordHeader {
  size: number;
  firstSeq: number;
  count: number;
  environment: string;
}

/**
 * The header at `offset` if it could start a record after seq `afterSeq` that fits in
 * `bytesLeft`: a sane length, an integer first seq beyond `afterSeq`, at least one event, a known
 * payload format. Cheap enough to try at every byte when resynchronising after damage.
 */
export function plausibleHeader(buffer: Buffer, offset: number, afterSeq: number, bytesLeft: number): RecordHeader | undefined {
  if (buffer.length - offset < recordPrefixBytes + fixedBodyBytes) return undefined;
  const bodyLength = buffer.readUInt32LE(offset);
  if (bodyLength < fixedBodyBytes || bodyLength > maxRecordBodyBytes || recordPrefixBytes + bodyLength > bytesLeft) return undefined;
  const firstSeq = buffer.readDoubleLE(offset + 8);
  if (!Number.isSafeInteger(firstSeq) || firstSeq <= afterSeq) return undefined;
  const count = buffer.readUInt32LE(offset + 24);
  const environmentBytes = buffer.readUInt8(offset + 29);
  if (count < 1 || (buffer.readUInt8(offset + 28) & ~withScan) >= formatNames.length || fixedBodyBytes + environmentBytes > bodyLength) return undefined;
  if (buffer.length - offset < recordPrefixBytes + fixedBodyBytes + environmentBytes) return undefined;
  const environment = buffer.toString('latin1', offset + 30, offset + 30 + environmentBytes);
  return { size: recordPrefixBytes + bodyLength, firstSeq, count, environment };
}
