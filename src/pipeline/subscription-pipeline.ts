// One subscription's delivery loop (DESIGN.md): read from its journal cursor → filter → redact →
// format → batch → send → advance the cursor. Owns its reader, batcher and transport; shares
// nothing with other pipelines but the journal, so a slow destination slows only itself.
import type { Subscription } from '../config/gateway-config.js';
import type { JournalRecord } from '../event.js';
import type { Journal, JournalReader } from '../journal/journal.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { systemClock, type Clock } from '../util/clock.js';
import { BatchBuilder, payloadLimit } from './batch-builder.js';
import { bodyShape, type BodyShape } from './body-shape.js';
import { compileFilter, type EventFilter } from './filter.js';
import type { FormatContext, Formatter } from './formatter.js';
import { compileRedactor, type Redactor } from './redact.js';
import type { EncodedBatch, Transport } from './transport.js';

export interface PipelineOptions {
  subscription: Subscription;
  journal: Journal;
  transport: Transport;
  formatter: Formatter;
  logger: Logger;
  metrics?: GatewayMetrics;
  clock?: Clock;
  /** Records taken from the journal per read. */
  readMax?: number;
}

/** A cursor that only moved past filtered events is saved at most this often. */
const filteredCommitIntervalMs = 1000;
const stopped = new Error('pipeline stopped');
const flushDue = new Error('flush deadline');

export class SubscriptionPipeline {
  private readonly controller = new AbortController();
  private readonly filter: EventFilter;
  private readonly redact: Redactor;
  private readonly shape: BodyShape;
  private readonly context: FormatContext;
  private readonly clock: Clock;
  private reader: JournalReader | undefined;
  private running: Promise<void> | undefined;
  /** Records read but not yet put in a batch (or filtered out). */
  private carried: JournalRecord[] = [];
  private carriedIndex = 0;
  /** The last journal seq put in a batch or filtered out. */
  private consumedSeq = 0;
  private committedSeq = 0;
  private lastCommitAt = 0;

  constructor(private readonly options: PipelineOptions) {
    const { subscription } = options;
    this.filter = compileFilter(subscription.filterOptions);
    this.redact = compileRedactor(subscription.filterOptions);
    this.clock = options.clock ?? systemClock;
    const https = subscription.payloadOptions.payloadFormat.https;
    this.context = { environment: subscription.environment, encoding: https.format, splunk: subscription.splunk, newRelic: subscription.newRelic };
    this.shape = bodyShape(https.format, https.prettyPrint, options.formatter, this.context);
  }

  get subscription(): Subscription {
    return this.options.subscription;
  }

  /** Opens the cursor and starts delivering in the background. */
  async start(): Promise<void> {
    const { journal, subscription } = this.options;
    const cursor = await journal.openCursor(subscription.id, subscription.environment, subscription.startAt);
    this.consumedSeq = this.committedSeq = cursor;
    this.lastCommitAt = this.clock.now();
    this.reader = journal.reader(cursor);
    this.running = this.run();
  }

  /** Stops reading and sending; what was not delivered is delivered after the next start. */
  async stop(): Promise<void> {
    this.controller.abort(stopped);
    await this.running;
    await this.reader?.close();
  }

  private async run(): Promise<void> {
    const { logger, subscription } = this.options;
    try {
      for (;;) {
        const batch = await this.nextBatch();
        if (batch) await this.deliver(batch);
      }
    } catch (error) {
      if (this.controller.signal.aborted) return;
      logger.error({ err: error, subscription: subscription.id }, 'delivery loop failed; the subscription stops until the gateway restarts');
    }
  }

  /** The next batch: full, or due `flushMs` after its first event. Undefined when only filtered records passed. */
  async nextBatch(): Promise<EncodedBatch | undefined> {
    const { subscription, metrics } = this.options;
    const builder = new BatchBuilder(this.shape, payloadLimit(subscription));
    const firstSeq = this.consumedSeq + 1;
    let deadline: number | undefined;
    fill: for (;;) {
      if (this.carriedIndex >= this.carried.length) {
        // Wait for more events, but not past the batch's deadline, nor past the moment a cursor
        // that only moved over filtered events is due to be saved.
        let wait = deadline === undefined ? undefined : deadline - this.clock.now();
        if (wait === undefined && this.consumedSeq > this.committedSeq) wait = this.lastCommitAt + filteredCommitIntervalMs - this.clock.now();
        if (wait !== undefined && wait <= 0) {
          if (deadline !== undefined) break;
          await this.commit(this.consumedSeq);
          continue;
        }
        const records = await this.read(wait);
        if (records === undefined) {
          if (deadline !== undefined) break; // the flush deadline passed
          await this.commit(this.consumedSeq);
          continue;
        }
        this.carried = records;
        this.carriedIndex = 0;
      }
      while (this.carriedIndex < this.carried.length) {
        const record = this.carried[this.carriedIndex]!;
        // Other environments' events pass by uncounted; this environment's non-matching ones are counted.
        if (record.environment !== subscription.environment || !this.filter(record.event)) {
          if (record.environment === subscription.environment) metrics?.eventsFiltered.inc({ environment: subscription.environment, subscription: subscription.id });
          this.carriedIndex++;
          this.consumedSeq = record.seq;
          continue;
        }
        const item = this.shape.encodeItem(this.options.formatter.format(this.redact(record.event), this.context));
        if (!builder.fits(item)) break fill;
        builder.add(item, record);
        this.carriedIndex++;
        this.consumedSeq = record.seq;
        deadline ??= this.clock.now() + subscription.payloadOptions.flushMs;
        if (builder.full) break fill;
      }
    }
    if (builder.count === 0) return undefined;
    const batch = builder.take(subscription, firstSeq, this.consumedSeq);
    if (batch.oversize) metrics?.eventsOversize.inc({ environment: subscription.environment, subscription: subscription.id });
    return batch;
  }

  /** Reads the next records; undefined when `waitMs` passes first. */
  private async read(waitMs: number | undefined): Promise<JournalRecord[] | undefined> {
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

  /** Sends until the destination accepts, then moves the cursor. (Retry policy: SPEC §4.5, next issue.) */
  private async deliver(batch: EncodedBatch): Promise<void> {
    const { transport, logger, subscription } = this.options;
    const signal = this.controller.signal;
    for (let attempt = 1, backoffMs = 500; ; attempt++, backoffMs = Math.min(backoffMs * 2, 60_000)) {
      const result = await transport.send(batch, signal);
      if (result.ok) break;
      logger.warn({ subscription: subscription.id, batch: batch.id, attempt, status: result.status, error: result.error }, 'delivery failed; retrying');
      await this.clock.sleep(result.retryAfterMs ?? backoffMs, signal);
    }
    await this.commit(batch.lastSeq);
  }

  private async commit(seq: number): Promise<void> {
    await this.options.journal.commit(this.options.subscription.id, seq);
    this.committedSeq = seq;
    this.lastCommitAt = this.clock.now();
  }
}
