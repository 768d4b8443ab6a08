// The Journal contract over NATS JetStream, for several gateways sharing one journal
// (storage.backend: jetstream). One stream with file storage holds one message per request on
// `<stream>.events.<environment>` (request-messages.ts); an event's seq is derived from its
// message's stream seq (message-seqs.ts). IdP webhook retries go one event per message with the
// event id as Nats-Msg-Id, so a retry within the duplicate window is stored once. Each
// subscription's cursor is a durable pull consumer filtered on its environment, acknowledged
// (AckAll) up to the last message delivered whole, plus its place inside a partly delivered one
// in the `<stream>-cursors` bucket.
//
// Retention is the gateway's own, so that every event a subscription loses is counted: JetStream
// limits remove messages without saying which consumer had not seen them. Before each append the
// gateway compares the stream's size with storage.maxMB (reject: 503; drop-oldest: it purges the
// oldest messages environment by environment, in steps at each lagging consumer's ack floor, and
// counts each step's purged events, from the messages' count headers, against the subscriptions
// that had not acknowledged them).
// A sweep does the same for storage.maxAgeHours. The stream's own max_bytes and max_age stay set
// (max_age one hour later) as a backstop for when no gateway runs.
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type ConsumerConfig, type ConsumerInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { StartAt } from '../../config/gateway-config.js';
import { apiErrorCode, fromSubjectToken, subjectToken, type NatsLink } from './nats-connection.js';
import type { Logger } from '../../logger.js';
import { JournalFailedError, JournalFullError, type AppendBatch, type Appended, type DropReport, type Journal, type JournalReader, type JournalStats } from '../../contracts/journal.js';
import { Kvm, type KV } from '@nats-io/kv';
import { PublishRefusedError, JetStreamPublisher } from './jetstream-publisher.js';
import { messagesOf } from './request-messages.js';
import { firstSeqOf, messageAfter, messageOf, throughMessage } from './message-seqs.js';
import { DurableReader, eventsIn, eventsPrefix, ReplayReader } from './jetstream-readers.js';

export interface JetStreamJournalOptions {
  link: NatsLink;
  maxBytes: number;
  maxAgeMs: number;
  whenFull: 'reject' | 'drop-oldest';
  logger: Logger;
  onDrop?: (drop: DropReport) => void;
}

/** Unacknowledged messages a subscription's consumer hands out: the in-flight window a crash can repeat. */
export const maxAckPending = 10_000;
/** The gateway acts (503 or purge) at this share of storage.maxMB, before JetStream's own limit. */
const fullShare = 0.95;
/** A drop-oldest purge frees the stream down to this share. */
const purgeToShare = 0.85;
const statsRefreshMs = 500;
const ageSweepMs = 60_000;
const backstopAgeMs = 3_600_000;
const retryAfterSeconds = 5;

interface ConsumerPosition {
  subscriptionId: string;
  environment: string;
  ackFloor: number;
}

export class JetStreamJournal implements Journal {
  private readonly stream: string;
  private readonly readers = new Map<string, DurableReader>();
  private readonly cursors = new Map<string, number>();
  private readonly backlog: Record<string, number> = {};
  private state = { firstSeq: 0, lastSeq: 0, bytes: 0, messages: 0 };
  /** Bytes this process appended since the last stream info: the size check counts them at once. */
  private addedSinceRefresh = 0;
  private purging: Promise<void> | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly publisher: JetStreamPublisher;
  /** Where a cursor inside a partly delivered message is kept (the consumer's ack floor counts whole messages). */
  private partials!: KV;
  /** Events per message in what this process appended: the backlog's estimate from pending messages. */
  private readonly eventsPerMessage = { events: 0, messages: 0 };

  private constructor(private readonly options: JetStreamJournalOptions) {
    this.stream = options.link.settings.stream;
    this.publisher = new JetStreamPublisher(options.link.connection);
  }

  static async open(options: JetStreamJournalOptions): Promise<JetStreamJournal> {
    const journal = new JetStreamJournal(options);
    await journal.ensureStream();
    const { link } = options;
    journal.partials = await new Kvm(link.connection).create(`${link.settings.stream}-cursors`, { history: 1, replicas: link.settings.replicas, storage: 'file' });
    await journal.refresh();
    journal.every(statsRefreshMs, () => journal.refresh());
    journal.every(ageSweepMs, () => journal.sweepAge());
    return journal;
  }

  private every(ms: number, work: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running || this.closed) return;
      running = true;
      work()
        .catch((error: unknown) => this.options.logger.debug({ err: error }, 'JetStream journal housekeeping failed; it runs again'))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private subject(environment: string): string {
    return `${eventsPrefix(this.stream)}${subjectToken(environment)}`;
  }

  private async ensureStream(): Promise<void> {
    const { jsm, settings } = this.options.link;
    const config = {
      subjects: [`${eventsPrefix(this.stream)}*`],
      max_bytes: this.options.maxBytes,
      max_age: nanos(this.options.maxAgeMs + backstopAgeMs),
      discard: DiscardPolicy.New,
      num_replicas: settings.replicas,
      duplicate_window: nanos(120_000),
    };
    try {
      const info = await jsm.streams.info(this.stream);
      const current = info.config;
      if (current.max_bytes !== config.max_bytes || current.max_age !== config.max_age || current.num_replicas !== config.num_replicas) {
        await jsm.streams.update(this.stream, config);
        this.options.logger.info({ stream: this.stream }, 'JetStream stream limits updated from storage settings');
      }
    } catch (error) {
      if (apiErrorCode(error) !== 10059) throw error;
      await jsm.streams.add({ name: this.stream, storage: StorageType.File, retention: RetentionPolicy.Limits, allow_direct: true, ...config }).catch((failure: unknown) => {
        throw new Error(`JetStream cannot create the stream ${this.stream} with max_bytes ${config.max_bytes} (storage.maxMB) and ${config.num_replicas} replicas (storage.jetstream.replicas): ${(failure as Error).message}`, { cause: failure });
      });
      this.options.logger.info({ stream: this.stream, replicas: settings.replicas }, 'JetStream stream created');
    }
  }

  async append(environment: string, batch: AppendBatch): Promise<Appended> {
    if (!this.options.link.connected) throw new JournalFailedError(new Error('NATS is not connected'), retryAfterSeconds);
    const messages = messagesOf(batch);
    const size = messages.reduce((sum, message) => sum + message.bytes.length + 100, 0);
    await this.makeRoom(size);
    const subject = this.subject(environment);
    let firstSeq = Number.MAX_SAFE_INTEGER;
    let lastSeq = 0;
    let acks;
    try {
      acks = await this.publisher.publish(subject, messages);
    } catch (error) {
      if (error instanceof PublishRefusedError && (error.code === 10077 || error.code === 10047)) throw new JournalFullError(retryAfterSeconds);
      throw new JournalFailedError(error, retryAfterSeconds);
    }
    let duplicates = 0;
    for (const [index, ack] of acks.entries()) {
      if (ack.duplicate) {
        duplicates++;
        continue;
      }
      firstSeq = Math.min(firstSeq, firstSeqOf(ack.seq));
      lastSeq = Math.max(lastSeq, firstSeqOf(ack.seq) + messages[index]!.count - 1);
    }
    this.addedSinceRefresh += size;
    this.eventsPerMessage.events += batch.count;
    this.eventsPerMessage.messages += messages.length;
    return { firstSeq, lastSeq, duplicates };
  }

  /** Before an append: 503 (reject), or the oldest messages purged and counted (drop-oldest). */
  private async makeRoom(size: number): Promise<void> {
    const limit = this.options.maxBytes * fullShare;
    if (this.state.bytes + this.addedSinceRefresh + size <= limit) return;
    if (this.options.whenFull === 'reject') throw new JournalFullError(retryAfterSeconds);
    this.purging ??= this.purgeForSize().finally(() => (this.purging = undefined));
    await this.purging;
    if (this.state.bytes + this.addedSinceRefresh + size > this.options.maxBytes) throw new JournalFullError(retryAfterSeconds);
  }

  private async purgeForSize(): Promise<void> {
    await this.refresh();
    const { bytes, messages, firstSeq, lastSeq } = this.state;
    const excess = bytes - this.options.maxBytes * purgeToShare;
    if (excess <= 0 || messages === 0) return;
    const perMessage = bytes / messages;
    await this.purgeBefore(Math.min(lastSeq + 1, firstSeq + Math.ceil(excess / perMessage)), 'size');
    await this.refresh();
  }

  private async sweepAge(): Promise<void> {
    const message = await this.messageBefore(Date.now() - this.options.maxAgeMs);
    if (message >= this.state.firstSeq) await this.purgeBefore(message + 1, 'age');
  }

  /**
   * Purges every message with seq < `untilSeq`, environment by environment, in steps at each
   * consumer's ack floor: what a step purges is lost by exactly the consumers whose floor is below
   * it, and is counted and logged for each of them.
   */
  private async purgeBefore(untilSeq: number, reason: 'size' | 'age'): Promise<void> {
    const { jsm } = this.options.link;
    const positions = await this.consumerPositions();
    const info = await jsm.streams.info(this.stream, { subjects_filter: `${eventsPrefix(this.stream)}*` });
    const prefix = eventsPrefix(this.stream);
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const environment = fromSubjectToken(subject.slice(prefix.length));
      const lagging = positions.filter((position) => position.environment === environment && position.ackFloor + 1 < untilSeq).sort((a, b) => a.ackFloor - b.ackFloor);
      const steps = [...lagging.map((position) => position.ackFloor + 1), untilSeq];
      let from = 0;
      for (const [index, step] of steps.entries()) {
        // Nothing lies below the first seq; and JetStream reads seq 1 as no bound at all.
        if (step <= info.state.first_seq) continue;
        const losers = lagging.slice(0, index);
        // Counted before the purge, in events: a message holds a request's events (its count header).
        const events = losers.length === 0 ? 0 : await eventsIn(this.options.link, this.stream, subject, Math.max(from, info.state.first_seq), step);
        const { purged } = await jsm.streams.purge(this.stream, { filter: subject, seq: step });
        if (purged > 0 && events > 0) {
          for (const loser of losers) {
            this.options.onDrop?.({ subscriptionId: loser.subscriptionId, environment, count: events, fromSeq: firstSeqOf(from), toSeq: firstSeqOf(step) - 1, reason });
            this.options.logger.warn({ subscription: loser.subscriptionId, environment, events, fromSeq: firstSeqOf(from), toSeq: firstSeqOf(step) - 1, reason }, `retention (${reason === 'size' ? 'storage.maxMB, whenFull: drop-oldest' : 'storage.maxAgeHours'}) removed ${events} events subscription ${loser.subscriptionId} had not delivered`);
          }
        }
        from = step;
      }
    }
  }

  /** Each subscription's consumer: the durable `sub-<id>` filtered on `<stream>.events.<environment>`. */
  private async *subscriptionConsumers(): AsyncGenerator<{ subscriptionId: string; environment: string; info: ConsumerInfo }> {
    const prefix = eventsPrefix(this.stream);
    for await (const info of this.options.link.jsm.consumers.list(this.stream)) {
      const name = info.config.durable_name;
      const filter = info.config.filter_subject;
      if (!name?.startsWith(consumerPrefix) || filter === undefined || !filter.startsWith(prefix)) continue;
      yield { subscriptionId: fromSubjectToken(name.slice(consumerPrefix.length)), environment: fromSubjectToken(filter.slice(prefix.length)), info };
    }
  }

  private async consumerPositions(): Promise<ConsumerPosition[]> {
    const positions: ConsumerPosition[] = [];
    for await (const { subscriptionId, environment, info } of this.subscriptionConsumers()) positions.push({ subscriptionId, environment, ackFloor: floorOf(info) });
    return positions;
  }

  /** Stream size and sequences, and each subscription's acknowledged position and backlog. */
  private async refresh(): Promise<void> {
    const { jsm } = this.options.link;
    if (!this.options.link.connected) return;
    const added = this.addedSinceRefresh;
    const info = await jsm.streams.info(this.stream);
    this.state = { firstSeq: info.state.first_seq, lastSeq: info.state.last_seq, bytes: info.state.bytes, messages: info.state.messages };
    // What was appended while the request ran may not be in its answer: it stays counted.
    this.addedSinceRefresh -= added;
    for await (const { subscriptionId: id, info: consumer } of this.subscriptionConsumers()) {
      if (!this.cursors.has(id)) continue;
      this.cursors.set(id, Math.max(this.cursors.get(id)!, throughMessage(floorOf(consumer))));
      const { events, messages } = this.eventsPerMessage;
      this.backlog[id] = Math.round((consumer.num_pending + consumer.num_ack_pending) * (messages === 0 ? 1 : events / messages));
    }
  }

  private consumerName(subscriptionId: string): string {
    return `${consumerPrefix}${subjectToken(subscriptionId)}`;
  }

  async openCursor(subscriptionId: string, environment: string, startAt: StartAt): Promise<number> {
    const { jsm } = this.options.link;
    const name = this.consumerName(subscriptionId);
    let floor: number;
    try {
      floor = floorOf(await jsm.consumers.info(this.stream, name));
    } catch (error) {
      if (apiErrorCode(error) !== 10014) throw error;
      // Every consumer starts at an explicit seq, so its floor is known before its first ack.
      const from = startAt.kind === 'earliest' ? 0 : startAt.kind === 'latest' ? (await jsm.streams.info(this.stream)).state.last_seq : await this.messageBefore(startAt.at.getTime());
      const created = await jsm.consumers.add(this.stream, this.consumerConfig(name, this.subject(environment), from + 1)).catch(async (failure: unknown) => {
        // Another gateway created it at the same moment: theirs stands.
        if (apiErrorCode(failure) === 10012 || apiErrorCode(failure) === 10013 || apiErrorCode(failure) === 10148) return jsm.consumers.info(this.stream, name);
        throw failure;
      });
      floor = floorOf(created);
    }
    let cursor = throughMessage(floor);
    // Delivered in part past the floor, by this process or another: the rest of that message, not all of it again.
    const partial = Number((await this.partials.get(this.consumerName(subscriptionId)).catch(() => null))?.string());
    if (Number.isSafeInteger(partial) && partial > cursor && messageOf(partial) === floor + 1) cursor = partial;
    this.cursors.set(subscriptionId, Math.max(this.cursors.get(subscriptionId) ?? 0, cursor));
    return this.cursors.get(subscriptionId)!;
  }

  private consumerConfig(name: string, subject: string, startSeq: number): Partial<ConsumerConfig> {
    return { durable_name: name, ack_policy: AckPolicy.All, ack_wait: nanos(600_000), max_ack_pending: maxAckPending, max_deliver: -1, filter_subject: subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, startSeq) };
  }

  reader(afterSeq: number, subscriptionId?: string): JournalReader {
    if (subscriptionId === undefined) return new ReplayReader(this.options.link, this.stream, afterSeq);
    const reader = new DurableReader(this, subscriptionId, afterSeq);
    this.readers.get(subscriptionId)?.close().catch(() => undefined);
    this.readers.set(subscriptionId, reader);
    return reader;
  }

  /** A durable consumer that hands out exactly the messages holding events after `afterSeq`: recreated there if a previous owner left messages unacknowledged. */
  async consumerFrom(subscriptionId: string, afterSeq: number): Promise<string> {
    const { jsm } = this.options.link;
    const name = this.consumerName(subscriptionId);
    const info = await jsm.consumers.info(this.stream, name);
    const floor = messageAfter(afterSeq) - 1;
    if (info.num_ack_pending > 0 || info.num_redelivered > 0 || floorOf(info) !== floor) {
      // Delivered to a process that is gone (or to this one before a restart) and not acknowledged:
      // start again right after the acknowledged position, so the new owner delivers in order.
      await jsm.consumers.delete(this.stream, name);
      await jsm.consumers.add(this.stream, this.consumerConfig(name, info.config.filter_subject!, floor + 1));
    }
    return name;
  }

  get link(): NatsLink {
    return this.options.link;
  }

  get streamName(): string {
    return this.stream;
  }

  async commit(subscriptionId: string, upTo: number): Promise<void> {
    const reader = this.readers.get(subscriptionId);
    if ((this.cursors.get(subscriptionId) ?? 0) >= upTo) return;
    // AckAll on the newest message delivered whole; a message delivered in part keeps its place in the cursor bucket.
    const message = reader?.takeUpTo(upTo);
    if (message !== undefined) await message.ackAck({ timeout: 5_000 });
    if (message?.seq !== messageOf(upTo)) await this.partials.put(this.consumerName(subscriptionId), String(upTo));
    this.cursors.set(subscriptionId, Math.max(this.cursors.get(subscriptionId) ?? 0, upTo));
  }

  releaseCursor(subscriptionId: string): void {
    this.cursors.delete(subscriptionId);
    delete this.backlog[subscriptionId];
  }

  async removeCursor(subscriptionId: string): Promise<void> {
    this.releaseCursor(subscriptionId);
    await this.options.link.jsm.consumers.delete(this.stream, this.consumerName(subscriptionId)).catch((error: unknown) => {
      if (apiErrorCode(error) !== 10014) throw error;
    });
    await this.partials.delete(this.consumerName(subscriptionId)).catch(() => undefined);
  }

  /** The seq just before the first event stored at or after `at` (the journal's end if none). */
  async seqBefore(at: number): Promise<number> {
    return throughMessage(await this.messageBefore(at));
  }

  /** The stream seq just before the first message stored at or after `at` (the stream's end if none). */
  private async messageBefore(at: number): Promise<number> {
    const { jsm } = this.options.link;
    const probe = await jsm.consumers.add(this.stream, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(at).toISOString(), filter_subject: `${eventsPrefix(this.stream)}*`, inactive_threshold: nanos(10_000), mem_storage: true, num_replicas: 1 });
    await jsm.consumers.delete(this.stream, probe.name).catch(() => undefined);
    return probe.delivered.stream_seq;
  }

  stats(): JournalStats {
    return {
      firstSeq: firstSeqOf(this.state.firstSeq),
      lastSeq: throughMessage(this.state.lastSeq),
      bytes: this.state.bytes,
      maxBytes: this.options.maxBytes,
      segments: 0,
      cursors: Object.fromEntries(this.cursors),
      backlog: this.backlog,
      failed: !this.options.link.connected,
      ...(this.options.link.connected ? {} : { failure: 'jetstream unreachable' }),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all([...this.readers.values()].map((reader) => reader.close()));
    this.readers.clear();
    this.publisher.close();
  }
}

const consumerPrefix = 'sub-';

/** The acknowledged position: before the first ack, the seq before the one the consumer started at. */
function floorOf(info: ConsumerInfo): number {
  return info.ack_floor.consumer_seq > 0 ? info.ack_floor.stream_seq : Math.max(0, (info.config.opt_start_seq ?? 1) - 1);
}
