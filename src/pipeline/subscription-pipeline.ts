// One subscription's delivery loop (DESIGN.md): read from its journal cursor → filter → redact →
// format → batch → send → advance the cursor. This file is the read loop, the in-flight window and
// the cursor; encoding is subscription-encoder.ts, sending until delivered is batch-sender.ts. It
// shares nothing with other pipelines but the journal, so a slow destination slows only itself.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Subscription } from '../config/gateway-config.js';
import type { DeadLetterSink } from '../contracts/dead-letters.js';
import type { FormatContext, Formatter, SecurityEventSettings } from '../contracts/formatter.js';
import type { Journal, JournalReader } from '../contracts/journal.js';
import type { AttemptReport, EncodedBatch, Transport } from '../contracts/transport.js';
import type { JournalRecord } from '../event/activity-event.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { abortable } from '../util/abortable.js';
import { asError } from '../util/as-error.js';
import { systemClock, type Clock } from '../util/clock.js';
import { deferred } from '../util/deferred.js';
import { BatchBuilder } from './batch-builder.js';
import { BatchSender } from './batch-sender.js';
import { compileRecordFilter, type RecordFilter } from './filter.js';
import { hecAckPath, IndexerAcks } from './indexer-acks.js';
import { SubscriptionEncoder } from './subscription-encoder.js';

export interface PipelineOptions {
  subscription: Subscription;
  journal: Journal;
  transport: Transport;
  formatter: Formatter;
  logger: Logger;
  metrics?: GatewayMetrics;
  clock?: Clock;
  /** Where events refused one by one go. */
  deadLetters?: DeadLetterSink;
  /** storage.maxAgeHours: events still failing past it are dead-lettered instead of retried. */
  maxAgeMs?: number;
  /** Jitter source for backoff (tests pin it). */
  random?: () => number;
  /** Called after every attempt (the delivery log). */
  onAttempt?: (report: AttemptReport) => void;
  /** Records taken from the journal per read. */
  readMax?: number;
  /** Called once when the pipeline stops on an unexpected failure (its supervisor restarts it). */
  onFailed?: (error: Error) => void;
  /** Masks credentials and resolved references in text from outside before it is logged. */
  mask?: (text: string) => string;
  /** Format SET: the key that signs its tokens (alg, kid, sign). */
  signingKey?: Pick<SecurityEventSettings, 'alg' | 'kid' | 'sign'>;
}

/** A cursor that only moved past filtered events is saved at most this often. */
const filteredCommitIntervalMs = 1000;
const stopped = new Error('pipeline stopped');

const flushDue = new Error('flush deadline');
/** Batches HEC accepted that may wait for their acknowledgement at once, beyond those on the wire. */
const maxAwaitingAck = 64;

/** How long stop() lets an attempt on the wire finish (at most the subscription's timeout). */
const stopGraceMs = 2000;

/** A journal range in the window: a batch (sent: HEC accepted it, its acknowledgement awaited) or a filtered stretch. */
interface WindowSlot {
  lastSeq: number;
  done: boolean;
  sent?: boolean;
  oldestAt?: number;
}

export class SubscriptionPipeline {
  private readonly controller = new AbortController();
  /** Aborts the attempts on the wire: only once stop()'s grace has passed. */
  private readonly sends = new AbortController();
  private readonly filter: RecordFilter;
  private readonly encoder: SubscriptionEncoder;
  private readonly sender: BatchSender;
  private readonly clock: Clock;
  /** splunk.indexerAck: the batches HEC accepted, waiting to be acknowledged as indexed. */
  private readonly acks: IndexerAcks | undefined;
  private reader: JournalReader | undefined;
  private running: Promise<void> | undefined;
  /** Records read but not yet put in a batch (or filtered out). */
  private carried: JournalRecord[] = [];
  private carriedIndex = 0;
  /** The last journal seq put in a batch or filtered out. */
  private consumedSeq = 0;
  /** The end of the last range put in the window (a batch or a filtered stretch). */
  private passedSeq = 0;
  private lastCommitAt = 0;
  private committing: Promise<void> = Promise.resolve();
  /**
   * Journal ranges in order, oldest first: batches in flight and passed-over filtered stretches.
   * The cursor moves to the end of the newest finished range with every older one finished too.
   */
  private readonly window: WindowSlot[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: PipelineOptions) {
    this.filter = compileRecordFilter(options.subscription.filterOptions);
    this.clock = options.clock ?? systemClock;
    this.encoder = new SubscriptionEncoder(options);
    const { subscription, transport } = options;
    if (subscription.format === 'SPLUNK' && subscription.splunk?.indexerAck === true && transport.query !== undefined) {
      const path = hecAckPath(subscription.httpEndpoint!.url);
      this.acks = new IndexerAcks({
        query: (body, signal) => transport.query!(path, body, signal),
        clock: this.clock,
        timeoutMs: subscription.splunk.ackTimeoutMs,
        logger: options.logger,
        metrics: options.metrics,
        labels: { environment: subscription.environment, subscription: subscription.id },
      });
    }
    this.sender = new BatchSender({ ...options, acks: this.acks }, this.encoder, this.clock, this.controller.signal, this.sends.signal);
  }

  /** These records as one batch, as this subscription sends them (the test-send route; no filters). */
  encodeRecords(records: readonly JournalRecord[]): EncodedBatch {
    return this.encoder.encodeRecords(records);
  }

  /** How this subscription's format is set up (the test-send route reads answers with it). */
  get formatContext(): FormatContext {
    return this.encoder.context;
  }

  /** True while the destination keeps failing (between a failed attempt and the next success). */
  get retrying(): boolean {
    return this.sender.retrying;
  }

  /** Ends every backoff wait now (the operator's retry); false when nothing was waiting. */
  retryNow(): boolean {
    return this.sender.retryNow();
  }

  /** Opens the cursor and starts delivering in the background. */
  async start(): Promise<void> {
    const { journal, subscription } = this.options;
    const cursor = await journal.openCursor(subscription.id, subscription.environment, subscription.startAt);
    this.consumedSeq = this.passedSeq = cursor;
    this.lastCommitAt = this.clock.now();
    this.reader = journal.reader(cursor, subscription.id);
    this.running = this.run();
  }

  /** Stops reading and sending; what was not delivered is delivered after the next start. */
  async stop(): Promise<void> {
    this.controller.abort(stopped);
    // Batches waiting for HEC's acknowledgement stay behind the cursor: sent again after the restart.
    const acksClosed = this.acks?.close();
    await this.running;
    // An attempt already on the wire gets a short grace to finish: cut off, the destination may
    // well have the batch, and the restart would send it again. No new attempt starts meanwhile.
    const settled = Promise.allSettled([...this.inFlight]);
    const grace = new AbortController();
    await Promise.race([settled, sleep(Math.min(this.options.subscription.delivery.timeoutMs, stopGraceMs), undefined, { signal: grace.signal, ref: false }).catch(() => undefined)]);
    grace.abort();
    this.sends.abort(stopped);
    await settled;
    await acksClosed;
    await this.committing.catch(() => undefined);
    await this.reader?.close();
  }

  private async run(): Promise<void> {
    const { subscription } = this.options;
    const maxInFlight = subscription.delivery.maxInFlight;
    const window = this.window;
    let changed = deferred<void>();
    try {
      // The next batch is read and encoded while the previous one is on the wire. A stop can
      // reject it before it is awaited, so it is marked handled at once (the await still sees it).
      const prepare = () => {
        const next = this.nextBatch();
        next.catch(() => undefined);
        return next;
      };
      let prepared = prepare();
      for (;;) {
        const batch = await prepared;
        if (batch === undefined) {
          prepared = prepare();
          continue;
        }
        // maxInFlight counts batches on the wire; those HEC accepted and that wait for its acknowledgement count apart.
        while (window.filter((slot) => !slot.done && !slot.sent).length >= maxInFlight || window.filter((slot) => !slot.done).length >= maxInFlight + maxAwaitingAck) {
          await abortable(changed.promise, this.controller.signal);
        }
        const slot: WindowSlot = { lastSeq: batch.lastSeq, done: false, sent: false, oldestAt: batch.records[0]?.receivedAt };
        window.push(slot);
        this.passedSeq = batch.lastSeq;
        const onWire = deferred<void>();
        const wake = () => {
          const current = changed;
          changed = deferred<void>();
          current.resolve();
        };
        // The cursor is saved behind the deliveries, in order; the next batch does not wait for the fsync.
        const delivered = this.sender.deliver(batch, () => {
          slot.sent = true;
          onWire.resolve();
          wake();
        }).then(() => {
          slot.done = true;
          this.advance();
        });
        const tracked = delivered.then(wake, (error: unknown) => this.fail(error));
        void tracked.finally(() => onWire.resolve());
        this.inFlight.add(tracked);
        void tracked.finally(() => this.inFlight.delete(tracked));
        prepared = prepare();
        if (maxInFlight === 1) await onWire.promise;
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** When the oldest event still waiting here was accepted (epoch ms); undefined when caught up. */
  oldestUndeliveredAt(): number | undefined {
    for (const slot of this.window) if (!slot.done) return slot.oldestAt;
    return this.carried[this.carriedIndex]?.receivedAt;
  }

  /**
   * Moves the cursor past every finished slot at the head of the window. The journal takes the
   * new position at once (retention and the backlog read it) and saves it in the background: one
   * write per subscription at a time, each storing the newest position, so the file never falls
   * more than one write behind however small the batches.
   */
  private advance(): void {
    let seq: number | undefined;
    while (this.window[0]?.done) seq = this.window.shift()!.lastSeq;
    if (seq === undefined) return;
    this.lastCommitAt = this.clock.now();
    this.committing = this.options.journal.commit(this.options.subscription.id, seq);
    this.committing.catch((error: unknown) => this.fail(error));
    this.noteCaughtUp();
  }

  /** Stops after an unexpected failure (a cursor or dead-letter write, a bug); the supervisor restarts it. */
  private fail(error: unknown): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(error);
    this.options.onFailed?.(asError(error));
  }

  /** The next batch: full, or due `flushMs` after its first event. Undefined when only filtered records passed. */
  async nextBatch(): Promise<EncodedBatch | undefined> {
    const { subscription, metrics } = this.options;
    const builder = new BatchBuilder(this.encoder.shape, this.encoder.limit);
    const firstSeq = this.consumedSeq + 1;
    let deadline: number | undefined;
    fill: for (;;) {
      if (this.carriedIndex >= this.carried.length) {
        // Wait for more events, but not past the batch's deadline, nor past the moment a cursor
        // that only moved over filtered events is due to be saved.
        let wait = deadline === undefined ? undefined : deadline - this.clock.now();
        if (wait === undefined && this.consumedSeq > this.passedSeq) wait = this.lastCommitAt + filteredCommitIntervalMs - this.clock.now();
        if (wait !== undefined && wait <= 0) {
          if (deadline !== undefined) break;
          this.passFiltered();
          continue;
        }
        const records = await this.read(wait);
        if (records === undefined) {
          if (deadline !== undefined) break; // the flush deadline passed
          this.passFiltered();
          continue;
        }
        this.carried = records;
        this.carriedIndex = 0;
      }
      while (this.carriedIndex < this.carried.length) {
        const record = this.carried[this.carriedIndex]!;
        // Other environments' events pass by uncounted; this environment's non-matching ones are counted.
        if (record.environment !== subscription.environment || !this.filter(record)) {
          if (record.environment === subscription.environment) metrics?.eventsFiltered.inc({ environment: subscription.environment, subscription: subscription.id });
          this.carriedIndex++;
          this.consumedSeq = record.seq;
          continue;
        }
        const item = this.encoder.encode(record);
        if (!builder.fits(item)) break fill;
        builder.add(item, record);
        this.carriedIndex++;
        this.consumedSeq = record.seq;
        deadline ??= this.clock.now() + subscription.payloadOptions.flushMs;
        if (builder.full) break fill;
      }
    }
    if (builder.count === 0) return undefined;
    const batch = this.encoder.withTarget(builder.take(subscription, firstSeq, this.consumedSeq));
    if (batch.oversize) metrics?.eventsOversize.inc({ environment: subscription.environment, subscription: subscription.id });
    return batch;
  }

  /** After an outage: once everything stored has been delivered, the sender says so. */
  private noteCaughtUp(): void {
    if (!this.sender.recovering || this.window.some((slot) => !slot.done) || this.reader!.nextSeq <= this.options.journal.stats().lastSeq) return;
    this.sender.caughtUp();
  }

  /** Reads the next records; undefined when `waitMs` passes first. */
  private async read(waitMs: number | undefined): Promise<JournalRecord[] | undefined> {
    this.noteCaughtUp();
    const max = this.options.readMax ?? 1000;
    const local = new AbortController();
    const stop = () => local.abort(stopped);
    const signal = this.controller.signal;
    if (signal.aborted) throw stopped;
    signal.addEventListener('abort', stop, { once: true });
    if (waitMs !== undefined) {
      this.clock.sleep(waitMs, local.signal).then(
        () => local.abort(flushDue),
        () => undefined,
      );
    }
    try {
      return await this.reader!.read(max, local.signal);
    } catch (error) {
      if (local.signal.reason === flushDue) return undefined;
      throw error;
    } finally {
      signal.removeEventListener('abort', stop);
      if (!local.signal.aborted) local.abort(stopped); // ends the flush timer
    }
  }

  /** Records that only filtered events were passed over, so the cursor can move past them in turn. */
  private passFiltered(): void {
    this.lastCommitAt = this.clock.now();
    if (this.consumedSeq <= this.passedSeq) return;
    this.passedSeq = this.consumedSeq;
    this.window.push({ lastSeq: this.consumedSeq, done: true });
    this.advance();
  }
}

