// Records built from a stored batch without parsing it: one scan finds each event's bytes, its
// action type, recordedAt and "source" member. The event object is parsed only if something asks
// for it (a filter on nested fields, a format that rebuilds the event); otherwise the pipeline
// splices the client's own bytes into the output.
import type { ActivityEvent, JournalRecord, RawEvent } from './activity-event.js';
import { capturedText, scanJson, type ScannedEvent } from './json-validator.js';
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
  /** The ingest scan of this payload, when it is still at hand. */
  scanned?: readonly ScannedEvent[];
}

/** The records of one stored batch; throws when the payload does not hold `count` valid events. */
export function recordsOf(batch: BatchSource): StoredRecord[] {
  const { firstSeq, environment, receivedAt } = batch;
  const plain = (events: readonly ActivityEvent[]) => events.map((event, i) => new StoredRecord(firstSeq + i, environment, receivedAt, undefined, event));
  if (batch.events) return plain(batch.events);
  if (batch.format === 'ndjson') return plain(parsePayload(batch));
  let scanned = batch.scanned;
  if (scanned === undefined) {
    const found: ScannedEvent[] = [];
    const result = scanJson(batch.payload, maxJsonDepth, 0, found);
    if (result.kind !== 'ok' || result.invalid > 0) throw new Error(`the payload does not hold ${batch.count} valid events`);
    scanned = found;
  }
  if (scanned.length !== batch.count) throw new Error(`the payload holds ${scanned.length} events, the header says ${batch.count}`);
  // Usually a compact body has no line break at all: one look for the whole payload.
  const breaks = batch.payload.includes(0x0a) || batch.payload.includes(0x0d);
  return scanned.map((event, i) => new StoredRecord(firstSeq + i, environment, receivedAt, rawEvent(batch.payload, event, breaks)));
}

function rawEvent(bytes: Buffer, scanned: ScannedEvent, mayBreakLines: boolean): RawEvent {
  const view = mayBreakLines ? bytes.subarray(scanned.start, scanned.end) : undefined;
  const oneLine = view === undefined || (!view.includes(0x0a) && !view.includes(0x0d));
  return {
    bytes,
    start: scanned.start,
    end: scanned.end,
    actionType: capturedText(bytes, scanned.type!),
    recordedAt: capturedText(bytes, scanned.recordedAt!),
    ...(scanned.sources === 1 ? { source: { keyStart: scanned.sourceKeyStart!, valueStart: scanned.sourceValueStart!, valueEnd: scanned.sourceValueEnd! } } : {}),
    spliceable: oneLine && scanned.sources <= 1,
  };
}
