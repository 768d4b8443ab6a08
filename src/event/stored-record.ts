// Records built from a stored batch without parsing it: one scan finds each event's bytes, its
// action type, recordedAt and "source" member. The event object is parsed only if something asks
// for it (a filter on nested fields, a format that rebuilds the event); otherwise the pipeline
// splices the client's own bytes into the output.
import type { ActivityEvent, JournalRecord, RawEvent } from './activity-event.js';
import { scanJson, type ScannedEvent } from './json-validator.js';
import { unescapedText } from './event-fields.js';
import { packScan, packedScanStride } from './packed-scan.js';
import { maxJsonDepth } from './validate-event.js';
import { parsePayload, type PayloadFormat } from './payload.js';

export class StoredRecord implements JournalRecord {
  private parsed: ActivityEvent | undefined;

  constructor(
    readonly seq: number,
    readonly environment: string,
    readonly receivedAt: number,
    readonly raw: RawEvent | undefined,
    parsed?: ActivityEvent,
  ) {
    this.parsed = parsed;
  }

  get event(): ActivityEvent {
    return (this.parsed ??= JSON.parse(this.raw!.bytes.toString('utf8', this.raw!.start, this.raw!.end)) as ActivityEvent);
  }
}

export interface BatchSource {
  firstSeq: number;
  count: number;
  environment: string;
  receivedAt: number;
  format: PayloadFormat;
  payload: Buffer;
  events?: readonly ActivityEvent[];
  /** The ingest scan of this payload, packed (packed-scan.ts), when it is at hand. */
  packedScan?: Int32Array;
}

/** The records of one stored batch; throws when the payload does not hold `count` valid events. */
export function recordsOf(batch: BatchSource): StoredRecord[] {
  const { firstSeq, environment, receivedAt } = batch;
  const plain = (events: readonly ActivityEvent[]) => events.map((event, i) => new StoredRecord(firstSeq + i, environment, receivedAt, undefined, event));
  if (batch.events) return plain(batch.events);
  if (batch.format === 'ndjson') return plain(parsePayload(batch));
  let scan = batch.packedScan;
  if (scan === undefined) {
    const found: ScannedEvent[] = [];
    const result = scanJson(batch.payload, maxJsonDepth, 0, found);
    if (result.kind !== 'ok' || result.invalid > 0) throw new Error(`the payload does not hold ${batch.count} valid events`);
    scan = packScan(found);
  }
  const events = scan.length / packedScanStride;
  if (events !== batch.count) throw new Error(`the payload holds ${events} events, the header says ${batch.count}`);
  // Usually a compact body has no line break at all: one look for the whole payload. Otherwise
  // the next line feed and carriage return are looked up as the events pass them (linear).
  const { payload } = batch;
  const breaks = payload.includes(0x0a) || payload.includes(0x0d);
  let lineFeed = -2;
  let carriageReturn = -2;
  const records = new Array<StoredRecord>(events);
  for (let i = 0, at = 0; i < events; i++, at += packedScanStride) {
    const start = scan[at]!;
    const end = scan[at + 1]!;
    let oneLine = true;
    if (breaks) {
      if (lineFeed !== -1 && lineFeed < start) lineFeed = payload.indexOf(0x0a, start);
      if (carriageReturn !== -1 && carriageReturn < start) carriageReturn = payload.indexOf(0x0d, start);
      oneLine = (lineFeed === -1 || lineFeed >= end) && (carriageReturn === -1 || carriageReturn >= end);
    }
    records[i] = new StoredRecord(firstSeq + i, environment, receivedAt, rawEvent(payload, scan, at, oneLine));
  }
  return records;
}

/** The event the packed scan describes at slot `at`. */
function rawEvent(bytes: Buffer, scan: Int32Array, at: number, oneLine: boolean): RawEvent {
  const sources = scan[at + 8]!;
  return {
    bytes,
    start: scan[at]!,
    end: scan[at + 1]!,
    actionType: unescapedText(bytes, scan[at + 2]!, scan[at + 3]!, scan[at + 4] === 1),
    recordedAt: unescapedText(bytes, scan[at + 5]!, scan[at + 6]!, scan[at + 7] === 1),
    source: sources === 1 ? { keyStart: scan[at + 9]!, valueStart: scan[at + 10]!, valueEnd: scan[at + 11]! } : undefined,
    spliceable: oneLine && sources <= 1,
  };
}
