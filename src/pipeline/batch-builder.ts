// Fills one batch up to its limit, exactly: EVENTS_PER_PAYLOAD counts events, KB_PER_PAYLOAD counts
// the encoded, uncompressed body bytes (prefix, separators and suffix included). A single event
// larger than the byte limit goes alone, flagged oversize.
import type { Subscription } from '../config/gateway-config.js';
import type { JournalRecord } from '../event.js';
import { bodySize, joinBody, type BodyShape } from './body-shape.js';
import type { EncodedBatch } from './transport.js';

export interface PayloadLimit {
  maxEvents: number;
  maxBytes: number;
}

export function payloadLimit(subscription: Pick<Subscription, 'payloadOptions'>): PayloadLimit {
  const { type, size } = subscription.payloadOptions.maximumPayloadLimit;
  return type === 'EVENTS_PER_PAYLOAD' ? { maxEvents: size, maxBytes: Number.POSITIVE_INFINITY } : { maxEvents: Number.POSITIVE_INFINITY, maxBytes: size * 1024 };
}

export class BatchBuilder {
  private items: Buffer[] = [];
  private itemBytes = 0;
  private first: JournalRecord | undefined;
  private last: JournalRecord | undefined;
  private oversize = false;

  constructor(
    private readonly shape: BodyShape,
    private readonly limit: PayloadLimit,
  ) {}

  get count(): number {
    return this.items.length;
  }

  /** Whether `item` may join: always when the batch is empty (an oversize event goes alone). */
  fits(item: Buffer): boolean {
    if (this.items.length === 0) return true;
    if (this.oversize || this.items.length >= this.limit.maxEvents) return false;
    return bodySize(this.shape, this.items.length + 1, this.itemBytes + item.length) <= this.limit.maxBytes;
  }

  add(item: Buffer, record: JournalRecord): void {
    if (this.items.length === 0) {
      this.first = record;
      this.oversize = bodySize(this.shape, 1, item.length) > this.limit.maxBytes;
    }
    this.items.push(item);
    this.itemBytes += item.length;
    this.last = record;
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
    const batch: EncodedBatch = {
      id: `${subscription.id}:${firstSeq}-${lastSeq}`,
      subscriptionId: subscription.id,
      environment: subscription.environment,
      body: joinBody(this.shape, this.items),
      contentType: this.shape.contentType,
      events: this.items.length,
      firstSeq,
      lastSeq,
      firstEventId: this.first!.event.id,
      lastEventId: this.last!.event.id,
      oversize: this.oversize,
    };
    this.items = [];
    this.itemBytes = 0;
    this.first = this.last = undefined;
    this.oversize = false;
    return batch;
  }
}
