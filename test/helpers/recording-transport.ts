// A transport that keeps every batch it is given (until delivery lands, and for pipeline tests).
import type { EncodedBatch, SendResult, Transport } from '../../src/contracts/transport.js';

export class RecordingTransport implements Transport {
  readonly batches: EncodedBatch[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(private readonly answer: (batch: EncodedBatch) => SendResult = () => ({ ok: true, status: 200 })) {}

  send(batch: EncodedBatch): Promise<SendResult> {
    const result = this.answer(batch);
    if (result.ok) {
      this.batches.push(batch);
      this.waiters = this.waiters.filter((waiter) => (this.batches.length >= waiter.count ? (waiter.resolve(), false) : true));
    }
    return Promise.resolve(result);
  }

  /** Resolves once `count` batches were accepted. */
  received(count: number): Promise<void> {
    if (this.batches.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
