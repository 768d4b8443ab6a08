// Fills one batch up to its limit, exactly: EVENTS_PER_PAYLOAD counts events, KB_PER_PAYLOAD counts
// the encoded, uncompressed body bytes (prefix, separators and suffix included). A single event
// larger than the byte limit goes alone, flagged oversize.
import type { Subscription } from '../config/gateway-config.js';
import type { JournalRecord } from '../event/activity-event.js';
import { bodySize, joinBody, type BodyShape } from './body-shape.js';
import { itemBytes, type EncodedBatch, type Item } from '../contracts/transport.js';

export interface PayloadLimit {
  maxEvents: number;
  maxBytes: number;
}

export function payloadLimit(subscription: Pick<Subscription, 'payloadOptions'>): PayloadLimit {
  const { type, size } = subscription.payloadOptions.maximumPayloadLimit;
  return type === 'EVENTS_PER_PAYLOAD' ? { maxEvents: size, maxBytes: Number.POSITIVE_INFINITY } : { maxEvents: Number.POSITIVE_INFINITY, maxBytes: size * 1024 };
}

export class BatchBuilder {
  private items: Item[] = [];
  private records: JournalRecord[] = [];
  private itemBytes = 0;
  private oversize = false;

  constructor(
    private readonly shape: BodyShape,
    private readonly limit: PayloadLimit,
  ) {}

  get count(): number {
    return this.items.length;
  }

  /** Whether `item` may join: always when the batch is empty (an oversize event goes alone). */
  fits(item: Item): boolean {
    if (this.items.length === 0) return true;
    if (this.oversize || this.items.length >= this.limit.maxEvents) return false;
    return bodySize(this.shape, this.items.length + 1, this.itemBytes + itemBytes(item)) <= this.limit.maxBytes;
  }

  add(item: Item, record: JournalRecord): void {
    const bytes = itemBytes(item);
    if (this.items.length === 0) this.oversize = bodySize(this.shape, 1, bytes) > this.limit.maxBytes;
    this.items.push(item);
    this.records.push(record);
    this.itemBytes += bytes;
  }

  /** No further event can join (the count is reached, or an oversize event fills it). */
  get full(): boolean {
    return this.oversize || this.items.length >= this.limit.maxEvents || bodySize(this.shape, this.items.length + 1, this.itemBytes + 1) > this.limit.maxBytes;
  }

  get bytes(): number {
    return bodySize(this.shape, this.items.length, this.itemBytes);
  }

  /** The batch, acknowledging the journal up to `lastSeq` (filtered records after its last event included). */
  take(subscription: Pick<Subscription, 'id' | 'environment'>, firstSeq: number, lastSeq: number): EncodedBatch {
    const batch = encodeBatch(this.shape, subscription, this.items, this.records, firstSeq, lastSeq, this.oversize);
    this.items = [];
    this.records = [];
    this.itemBytes = 0;
    this.oversize = false;
    return batch;
  }
}

/** A batch of already encoded items (also used for the halves of a refused batch). */
export function encodeBatch(shape: BodyShape, subscription: Pick<Subscription, 'id' | 'environment'>, items: readonly Item[], records: readonly JournalRecord[], firstSeq: number, lastSeq: number, oversize: boolean): EncodedBatch {
  return {
    id: `${subscription.id}:${firstSeq}-${lastSeq}`,
    subscriptionId: subscription.id,
    environment: subscription.environment,
    body: joinBody(shape, items),
    contentType: shape.contentType,
    events: items.length,
    firstSeq,
    lastSeq,
    firstEventId: records[0]!.event.id,
    lastEventId: records.at(-1)!.event.id,
    oversize,
    records,
    items,
  };
}
