// The ingest scan of a payload (where each event and its action type, recordedAt and source sit)
// as one Int32Array, so it can cross to the delivery thread without a structured clone of objects,
// and be stored after the payload (record-codec.ts), so no reader need scan the bytes again.
import { endianness } from 'node:os';
import type { ScannedEvent } from '../../event/json-validator.js';

const stride = 12;
export const packedScanBytesPerEvent = stride * 4;
/** Stored scans are little-endian Int32Arrays; a big-endian machine stores none (readers scan). */
const storable = endianness() === 'LE';

/** The packed scan's bytes as stored after the payload, or undefined where they cannot be. */
export function storedScan(packed: Int32Array | undefined): Uint8Array | undefined {
  if (packed === undefined || !storable) return undefined;
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

/** A stored scan back (copied: the view into the read buffer need not be 4-byte aligned). */
export function unpackStoredScan(bytes: Uint8Array): ScannedEvent[] {
  return unpackScan(new Int32Array(Uint8Array.prototype.slice.call(bytes).buffer));
}

export function packScan(scanned: readonly ScannedEvent[]): Int32Array {
  const packed = new Int32Array(scanned.length * stride);
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
    at += stride;
  }
  return packed;
}

/** The scan back as the reader takes it (only the members it reads). */
export function unpackScan(packed: Int32Array): ScannedEvent[] {
  const events: ScannedEvent[] = [];
  for (let at = 0; at < packed.length; at += stride) {
    const event: ScannedEvent = {
      start: packed[at]!,
      end: packed[at + 1]!,
      type: { start: packed[at + 2]!, end: packed[at + 3]!, escaped: packed[at + 4] === 1, kind: 'string' },
      recordedAt: { start: packed[at + 5]!, end: packed[at + 6]!, escaped: packed[at + 7] === 1, kind: 'string' },
      sources: packed[at + 8]!,
    };
    if (packed[at + 9]! >= 0) {
      event.sourceKeyStart = packed[at + 9]!;
      event.sourceValueStart = packed[at + 10]!;
      event.sourceValueEnd = packed[at + 11]!;
    }
    events.push(event);
  }
  return events;
}
