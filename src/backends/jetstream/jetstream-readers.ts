// Readers over the JetStream journal: a subscription's reader on its durable pull consumer (it
// keeps what it handed out until the pipeline acknowledges it, AckAll), and a replay's reader on an
// ordered consumer. Each message holds one event's JSON; its record is built without parsing it.
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { JournalReader } from '../../contracts/journal.js';
import type { JournalRecord } from '../../event/activity-event.js';
import { recordsOf } from '../../event/stored-record.js';
import { abortable } from '../../util/abortable.js';
import { fromSubjectToken, type NatsLink } from './nats-connection.js';

/** What a subscription's reader needs of its journal. */
export interface ConsumerSource {
  readonly streamName: string;
  readonly link: NatsLink;
  /** The durable consumer that hands out exactly the messages after `afterSeq`. */
  consumerFrom(subscriptionId: string, afterSeq: number): Promise<string>;
}

/** Subjects of the events: `<stream>.events.<environment>`. */
export function eventsPrefix(stream: string): string {
  return `${stream}.events.`;
}

/** A journal record from one stored message. */
function recordOf(message: { seq: number; subject: string; data: Uint8Array; timestampMs: number }, prefixLength: number): JournalRecord {
  const payload = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  return recordsOf({ firstSeq: message.seq, count: 1, environment: fromSubjectToken(message.subject.slice(prefixLength)), receivedAt: message.timestampMs, format: 'object', payload })[0]!;
}

/**
 * Messages pushed by a consume() callback, taken by read() in order. Redeliveries (seq at or
 * below what was already handed out) are skipped: this process still holds those.
 */
abstract class QueuedReader implements JournalReader {
  protected readonly queue: { seq: number; record: JournalRecord; message?: JsMsg }[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  protected messages: ConsumerMessages | undefined;
  protected closed = false;
  private started: Promise<void> | undefined;
  nextSeq: number;

  constructor(
    protected readonly stream: string,
    afterSeq: number,
  ) {
    this.nextSeq = afterSeq + 1;
  }

  protected abstract start(): Promise<void>;

  protected push(message: JsMsg): void {
    if (message.seq < this.nextSeq || (this.queue.length > 0 && message.seq <= this.queue[this.queue.length - 1]!.seq)) return;
    try {
      const record = recordOf({ seq: message.seq, subject: message.subject, data: message.data, timestampMs: Math.floor(message.info.timestampNanos / 1e6) }, eventsPrefix(this.stream).length);
      this.queue.push({ seq: message.seq, record, message });
    } catch (error) {
      this.fail(new Error(`the message at seq ${message.seq} does not hold one valid event: ${(error as Error).message}`));
    }
    this.wake?.();
  }

  protected fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  protected held(_message: JsMsg): void {}

  async read(max: number, signal?: AbortSignal): Promise<JournalRecord[]> {
    const wait = <T>(promise: Promise<T>) => (signal === undefined ? promise : abortable(promise, signal));
    this.started ??= this.start();
    await wait(this.started);
    while (this.queue.length === 0) {
      if (this.failure) throw this.failure;
      await wait(new Promise<void>((resolve) => (this.wake = resolve)));
      this.wake = undefined;
    }
    const taken = this.queue.splice(0, max);
    for (const entry of taken) if (entry.message) this.held(entry.message);
    this.nextSeq = taken[taken.length - 1]!.seq + 1;
    return taken.map((entry) => entry.record);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.started?.catch(() => undefined);
    await this.messages?.close().catch(() => undefined);
  }
}

/** A subscription's reader on its durable consumer; keeps what it handed out until it is acknowledged. */
export class DurableReader extends QueuedReader {
  private readonly unacknowledged: JsMsg[] = [];

  constructor(
    private readonly journal: ConsumerSource,
    private readonly subscriptionId: string,
    afterSeq: number,
  ) {
    super(journal.streamName, afterSeq);
  }

  protected async start(): Promise<void> {
    const name = await this.journal.consumerFrom(this.subscriptionId, this.nextSeq - 1);
    if (this.closed) return;
    const consumer = await this.journal.link.js.consumers.get(this.stream, name);
    this.messages = await consumer.consume({ max_messages: 1_000, callback: (message) => this.push(message) });
    void this.watch(this.messages);
  }

  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') this.fail(new Error(`the consumer of subscription ${this.subscriptionId} was removed`));
    }
  }

  protected override held(message: JsMsg): void {
    this.unacknowledged.push(message);
  }

  /** The handed-out message at `seq`, forgetting every one up to it (AckAll acknowledges them all). */
  takeUpTo(seq: number): JsMsg | undefined {
    let found: JsMsg | undefined;
    while (this.unacknowledged.length > 0 && this.unacknowledged[0]!.seq <= seq) {
      const message = this.unacknowledged.shift()!;
      if (message.seq === seq) found = message;
    }
    return found;
  }
}

/** A reader for replays: an ordered consumer over every environment from `afterSeq + 1`. */
export class ReplayReader extends QueuedReader {
  constructor(
    private readonly link: NatsLink,
    stream: string,
    afterSeq: number,
  ) {
    super(stream, afterSeq);
  }

  protected async start(): Promise<void> {
    const consumer = await this.link.js.consumers.get(this.stream, { filter_subjects: [`${eventsPrefix(this.stream)}*`], opt_start_seq: this.nextSeq });
    this.messages = await consumer.consume({ max_messages: 1_000, callback: (message) => this.push(message) });
  }
}
