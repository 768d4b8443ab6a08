// The ingest scan of a payload (where each event and its action type, recordedAt and source sit)
// as one Int32Array: made once at append, stored after the payload (record-codec.ts) so no reader
// need scan the bytes again, and cloned to the delivery thread as it is. Readers build records
// straight from it (stored-record.ts): no object per scanned event is kept anywhere, so the
// memory tails hold flat arrays the collector need not trace.
import { endianness } from 'node:os';
import type { ScannedEvent } from './json-validator.js';

/** Int32 slots per event: start, end, type (start, end, escaped), recordedAt (same), sources, source member (key, value start, value end). */
export const packedScanStride = 12;
export const packedScanBytesPerEvent = packedScanStride * 4;
/** Stored scans are little-endian Int32Arrays; a big-endian machine stores none (readers scan). */
const storable = endianness() === 'LE';

/** The packed scan's bytes as stored after the payload, or undefined where they cannot be. */
export function storedScan(packed: Int32Array | undefined): Uint8Array | undefined {
  if (packed === undefined || !storable) return undefined;
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

/** A stored scan back (copied: the view into the read buffer need not be 4-byte aligned). */
export function unpackStoredScan(bytes: Uint8Array): Int32Array {
  return new Int32Array(Uint8Array.prototype.slice.call(bytes).buffer);
}

export function packScan(scanned: readonly ScannedEvent[]): Int32Array {
  const packed = new Int32Array(scanned.length * packedScanStride);
  let at = 0;
  for (const event of scanned) {
    packed[at] = event.start;
    packed[at + 1] = event.end;
    packed[at + 2] = event.type!.start;
    packed[at + 3] = event.type!.end;
    packed[at + 4] = event.type!.escaped ? 1 : 0;
    packed[at + 5] = event.recordedAt!.start;
    packed[at + 6] = event.recordedAt!.end;
    packed[at + 7] = event.recordedAt!.escaped ? 1 : 0;
    packed[at + 8] = event.sources;
    packed[at + 9] = event.sourceKeyStart ?? -1;
    packed[at + 10] = event.sourceValueStart ?? -1;
    packed[at + 11] = event.sourceValueEnd ?? -1;
    at += packedScanStride;
  }
  return packed;
}
