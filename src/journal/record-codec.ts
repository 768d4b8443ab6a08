// The on-disk record: a length and a CRC-32 in front of a body, so a torn or corrupt tail is
// recognised at start-up.
//
//   u32 LE  body length
//   u32 LE  CRC-32 of the body (zlib.crc32, native)
//   body:   f64 LE seq | f64 LE receivedAt | u8 environment length | environment | event JSON
import { crc32 } from 'node:zlib';

export const recordPrefixBytes = 8;
const fixedBodyBytes = 17;
/** Larger than any accepted request (maxBodyKB ≤ 64 MiB): a bigger length means corruption. */
export const maxRecordBodyBytes = 80 * 1024 * 1024;

export interface DecodedRecord {
  seq: number;
  receivedAt: number;
  environment: string;
  /** The event JSON, still as bytes (parsed only when a reader needs it). */
  json: Buffer;
  /** Bytes the whole record takes, prefix included. */
  size: number;
}

/** Bytes one record takes on disk. */
export function recordSize(environment: string, json: Buffer): number {
  return recordPrefixBytes + fixedBodyBytes + Buffer.byteLength(environment, 'latin1') + json.length;
}

/** Writes one record into `out` at `offset` and returns the offset after it. */
export function encodeRecordInto(out: Buffer, offset: number, seq: number, receivedAt: number, environment: string, json: Buffer): number {
  const body = offset + recordPrefixBytes;
  const environmentBytes = out.write(environment, body + fixedBodyBytes, 'latin1');
  const end = body + fixedBodyBytes + environmentBytes + json.length;
  out.writeUInt32LE(end - body, offset);
  out.writeDoubleLE(seq, body);
  out.writeDoubleLE(receivedAt, body + 8);
  out.writeUInt8(environmentBytes, body + 16);
  json.copy(out, body + fixedBodyBytes + environmentBytes);
  out.writeUInt32LE(crc32(out.subarray(body, end)), offset + 4);
  return end;
}

export type DecodeResult =
  | { kind: 'record'; record: DecodedRecord }
  /** Not enough bytes for a whole record: the caller reads more, or it is a torn tail. */
  | { kind: 'incomplete'; needBytes: number }
  | { kind: 'corrupt'; reason: string };

/** Decodes the record starting at `offset` of `buffer`. The JSON is a view into `buffer`. */
export function decodeRecord(buffer: Buffer, offset: number): DecodeResult {
  const available = buffer.length - offset;
  if (available < recordPrefixBytes) return { kind: 'incomplete', needBytes: recordPrefixBytes };
  const bodyLength = buffer.readUInt32LE(offset);
  if (bodyLength < fixedBodyBytes || bodyLength > maxRecordBodyBytes) return { kind: 'corrupt', reason: `impossible record length ${bodyLength}` };
  const size = recordPrefixBytes + bodyLength;
  if (available < size) return { kind: 'incomplete', needBytes: size };
  const body = buffer.subarray(offset + recordPrefixBytes, offset + size);
  if (crc32(body) !== buffer.readUInt32LE(offset + 4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  const environmentBytes = body.readUInt8(16);
  if (fixedBodyBytes + environmentBytes > bodyLength) return { kind: 'corrupt', reason: 'environment longer than the record' };
  return {
    kind: 'record',
    record: {
      seq: body.readDoubleLE(0),
      receivedAt: body.readDoubleLE(8),
      environment: body.toString('latin1', fixedBodyBytes, fixedBodyBytes + environmentBytes),
      json: body.subarray(fixedBodyBytes + environmentBytes),
      size,
    },
  };
}
