// Readers over the JetStream journal: a subscription's reader on its durable pull consumer (it
// keeps what it handed out until the pipeline acknowledges it, AckAll), and a replay's reader on an
// ordered consumer. Each message holds one request's events (a JSON array or one object, its count
// in a header); their records are built without parsing them, with seqs from message-seqs.ts.
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { JournalReader } from '../../contracts/journal.js';
import type { JournalRecord } from '../../event/activity-event.js';
import { recordsOf } from '../../event/stored-record.js';
import { abortable } from '../../util/abortable.js';
import { countHeader } from './jetstream-publisher.js';
import { firstSeqOf, messageOf } from './message-seqs.js';
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

/** The journal records of one stored message. */
function recordsOfMessage(message: JsMsg, prefixLength: number): JournalRecord[] {
  const payload = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  const count = Number(message.headers?.get(countHeader) || 1);
  return recordsOf({ firstSeq: firstSeqOf(message.seq), count, environment: fromSubjectToken(message.subject.slice(prefixLength)), receivedAt: Math.floor(message.info.timestampNanos / 1e6), format: 'array', payload });
}

/** Records kept ready at most: past it the reader stops taking messages until read() takes some, so memory stays bounded however slow the destination. */
const queueLimit = 20_000;
/** The client pulls by bytes (a message holds a whole request), not by count, and holds at most this much. */
const pullBytes = 8 << 20;

/**
 * Messages consumed in pulls of at most `pullBytes`, taken by read() in order. The consumer is
 * iterated, not given a callback, so the client pulls more only as this reader takes messages:
 * with `queueLimit` records waiting it stops, and memory holds at most that plus one pull.
 * Redeliveries (seq at or below what was already handed out) are skipped: this process still holds those.
 */
abstract class QueuedReader implements JournalReader {
  /** Records not yet handed out; `last` marks the last one of its message. */
  protected readonly queue: { seq: number; record: JournalRecord; message: JsMsg; last: boolean }[] = [];
  private wake: (() => void) | undefined;
  private room: (() => void) | undefined;
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

  /** Follows the consumer's notices (a durable consumer removed under the reader). */
  protected watch(_messages: ConsumerMessages): void {}

  /** The consumer to pull from; undefined when the reader closed meanwhile. */
  protected abstract open(): Promise<Consumer | undefined>;

  private async start(): Promise<void> {
    const consumer = await this.open();
    if (consumer !== undefined) void this.pullFrom(consumer);
  }

  private async pullFrom(consumer: Consumer): Promise<void> {
    try {
      const messages = await consumer.consume({ max_bytes: pullBytes });
      this.messages = messages;
      this.watch(messages);
      for await (const message of messages) {
        this.push(message);
        if (this.queue.length >= queueLimit) await new Promise<void>((resolve) => (this.room = resolve));
        if (this.closed) break;
      }
      // The consumer stopped handing out messages (its leader moved, it was removed): the pipeline restarts and opens it again.
      if (!this.closed) this.fail(new Error('the consumer stopped delivering messages'));
    } catch (error) {
      if (!this.closed) this.fail(new Error(`reading the journal failed: ${(error as Error).message}`, { cause: error }));
    }
  }

  protected push(message: JsMsg): void {
    // A redelivery of what this reader handed out or queued already: it still holds those.
    const queued = this.queue.at(-1);
    if (messageOf(this.nextSeq) > message.seq || (queued !== undefined && queued.message.seq >= message.seq)) return;
    try {
      const records = recordsOfMessage(message, eventsPrefix(this.stream).length);
      for (const [index, record] of records.entries()) {
        // A message delivered in part before: the rest of it.
        if (record.seq >= this.nextSeq) this.queue.push({ seq: record.seq, record, message, last: index === records.length - 1 });
      }
    } catch (error) {
      this.fail(new Error(`the message at stream seq ${message.seq} does not hold the events its header counts: ${(error as Error).message}`));
    }
    this.wake?.();
  }

  protected fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  /** A message this reader started to hand out, and the seq of its last event. */
  protected held(_message: JsMsg, _lastSeq: number): void {}

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
    if (this.queue.length < queueLimit) {
      this.room?.();
      this.room = undefined;
    }
    for (const entry of taken) if (entry.last) this.held(entry.message, entry.seq);
    const newest = taken[taken.length - 1]!;
    // Past a message's last event, the next seq is the next message's first.
    this.nextSeq = newest.last ? firstSeqOf(newest.message.seq + 1) : newest.seq + 1;
    return taken.map((entry) => entry.record);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.room?.();
    await this.started?.catch(() => undefined);
    await this.messages?.close().catch(() => undefined);
  }
}

/** A subscription's reader on its durable consumer; keeps what it handed out until it is acknowledged. */
export class DurableReader extends QueuedReader {
  /** Messages handed out whole and not yet acknowledged, oldest first, with the seq of their last event. */
  private readonly unacknowledged: { message: JsMsg; lastSeq: number }[] = [];

  constructor(
    private readonly journal: ConsumerSource,
    private readonly subscriptionId: string,
    afterSeq: number,
  ) {
    super(journal.streamName, afterSeq);
  }

  protected async open(): Promise<Consumer | undefined> {
    const name = await this.journal.consumerFrom(this.subscriptionId, this.nextSeq - 1);
    return this.closed ? undefined : this.journal.link.js.consumers.get(this.stream, name);
  }

  protected override watch(messages: ConsumerMessages): void {
    void (async () => {
      for await (const status of messages.status()) {
        if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') this.fail(new Error(`the consumer of subscription ${this.subscriptionId} was removed`));
      }
    })();
  }

  protected override held(message: JsMsg, lastSeq: number): void {
    this.unacknowledged.push({ message, lastSeq });
  }

  /** The newest handed-out message whose every event is at or before `seq`, forgetting every one up to it (AckAll acknowledges them all). */
  takeUpTo(seq: number): JsMsg | undefined {
    let found: JsMsg | undefined;
    while (this.unacknowledged.length > 0 && this.unacknowledged[0]!.lastSeq <= seq) found = this.unacknowledged.shift()!.message;
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

  protected open(): Promise<Consumer> {
    return this.link.js.consumers.get(this.stream, { filter_subjects: `${eventsPrefix(this.stream)}*`, opt_start_seq: Math.max(1, messageOf(this.nextSeq)) });
  }
}

/** Events held by the messages of `subject` with stream seq in [from, until), from their count headers. */
export async function eventsIn(link: NatsLink, stream: string, subject: string, from: number, until: number): Promise<number> {
  if (from >= until) return 0;
  const consumer = await link.js.consumers.get(stream, { filter_subjects: subject, opt_start_seq: from, headers_only: true });
  let events = 0;
  // Fetches ask for no more than is there, so none waits for its expiry.
  let pending = (await consumer.info()).num_pending;
  for (let reached = false; pending > 0 && !reached; ) {
    const messages = await consumer.fetch({ max_messages: Math.min(1_000, pending), expires: 5_000 });
    let got = 0;
    for await (const message of messages) {
      got++;
      pending--;
      if (message.seq < until) events += Number(message.headers?.get(countHeader) || 1);
      reached ||= message.seq >= until - 1;
    }
    if (got === 0) break;
  }
  return events;
}
