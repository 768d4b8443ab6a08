// One subscription's delivery loop (DESIGN.md): read from its journal cursor → filter → redact →
// format → batch → send → advance the cursor. Owns its reader, batcher and transport; shares
// nothing with other pipelines but the journal, so a slow destination slows only itself.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Subscription } from '../config/gateway-config.js';
import type { JournalRecord } from '../event/activity-event.js';
import type { Journal, JournalReader } from '../contracts/journal.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { abortable } from '../util/abortable.js';
import { asError } from '../util/as-error.js';
import { systemClock, type Clock } from '../util/clock.js';
import { deferred } from '../util/deferred.js';
import { BatchBuilder, payloadLimit, type PayloadLimit } from './batch-builder.js';
import { bodyShape, perRequestShape, tcpBodyShape, type BodyShape } from './body-shape.js';
import { compileRecordFilter, type RecordFilter } from './filter.js';
import type { FormatContext, Formatter, RequestTemplate, SecurityEventSettings } from '../contracts/formatter.js';
import { hasPlaceholders, parseTemplate, splitUrlTemplate } from '../config/placeholder-template.js';
import { compileRedactor, redactRawEvent, type Redactor } from './redact.js';
import { encodeBatch } from './batch-builder.js';
import type { DeadLetter, DeadLetterSink } from '../contracts/dead-letters.js';
import { responseSummary } from '../observability/response-summary.js';
import { redactSecrets } from '../observability/redact-secrets.js';
import { attemptOutcome, backoffMs, hecAcceptedPrefix, onFailure, setErrorDetail } from './retry-policy.js';
import type { AttemptReport, EncodedBatch, Item, SendResult, Transport } from '../contracts/transport.js';

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
/** How long stop() lets an attempt on the wire finish (at most the subscription's timeout). */
const stopGraceMs = 2000;

function observeAttempt(metrics: GatewayMetrics, batch: EncodedBatch, attempt: number, result: SendResult, durationMs: number, now: number): void {
  const labels = { environment: batch.environment, subscription: batch.subscriptionId };
  const outcome = attemptOutcome(result);
  const statusClass = result.status === undefined ? 'none' : `${Math.floor(result.status / 100)}xx`;
  metrics.deliveryAttempts.inc({ ...labels, outcome, status_class: statusClass });
  metrics.deliveryDuration.observe(labels, durationMs / 1000);
  if (attempt === 1) {
    metrics.batchEvents.observe(labels, batch.events);
    metrics.batchBytes.observe(labels, batch.body.length);
  }
  if (!result.ok) return;
  metrics.eventsDelivered.inc(labels, batch.events);
  // The events of one request share their receive time: one observation per run.
  const latency = metrics.endToEndLatency;
  const series = latency.labels(labels);
  const records = batch.records;
  for (let i = 0; i < records.length; ) {
    const receivedAt = records[i]!.receivedAt;
    let j = i + 1;
    while (j < records.length && records[j]!.receivedAt === receivedAt) j++;
    latency.observe(series, (now - receivedAt) / 1000, j - i);
    i = j;
  }
}

export class SubscriptionPipeline {
  private readonly controller = new AbortController();
  /** Aborts the attempts on the wire: only once stop()'s grace has passed. */
  private readonly sends = new AbortController();
  private readonly filter: RecordFilter;
  /** Items built from the events' stored bytes, without parsing them (compact encodings only). */
  private readonly spliceItems: boolean;
  /** Items written as compact JSON text by the formatter itself (compact encodings only). */
  private readonly textItems: boolean;
  private readonly redact: Redactor;
  private readonly shape: BodyShape;
  private readonly limit: PayloadLimit;
  private readonly context: FormatContext;
  private readonly clock: Clock;
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
  private readonly window: { lastSeq: number; done: boolean; oldestAt?: number }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** The backoff waits under way (one per batch in flight). */
  private readonly wakeUp = new Set<AbortController>();
  /** True while the destination keeps failing (between a failed attempt and the next success). */
  retrying = false;
  /** From the first failed attempt until the backlog it left is delivered: one log line each way. */
  private outage: { since: number; recoveredAt?: number; delivered: number } | undefined;

  constructor(private readonly options: PipelineOptions) {
    const { subscription } = options;
    this.filter = compileRecordFilter(subscription.filterOptions);
    this.redact = compileRedactor(subscription.filterOptions);
    this.clock = options.clock ?? systemClock;
    const { https, tcp } = subscription.payloadOptions.payloadFormat;
    // Over TCP every event is its own document, as in ND_JSON.
    const encoding = subscription.protocol === 'TCP_IP' ? 'ND_JSON' : https.format;
    const { metrics } = options;
    const labels = { environment: subscription.environment, subscription: subscription.id };
    this.context = {
      environment: subscription.environment,
      encoding,
      splunk: subscription.splunk,
      newRelic: subscription.newRelic,
      onAttributes: metrics && (({ renamed, dropped, truncated }) => {
        if (renamed > 0) metrics.attributesAdjusted.inc({ ...labels, reason: 'renamed' }, renamed);
        if (dropped > 0) metrics.attributesAdjusted.inc({ ...labels, reason: 'dropped' }, dropped);
        if (truncated > 0) metrics.attributesAdjusted.inc({ ...labels, reason: 'truncated' }, truncated);
      }),
    };
    if (subscription.template !== undefined) this.context.template = requestTemplate(subscription);
    if (subscription.set !== undefined && options.signingKey !== undefined) this.context.securityEvents = { ...subscription.set, ...options.signingKey };
    const perRequest = options.formatter.perRequest;
    this.shape = perRequest !== undefined ? perRequestShape(perRequest.contentType(this.context)) : subscription.protocol === 'TCP_IP' ? tcpBodyShape(tcp.format, tcp.framing, tcp.additionalAttributes) : bodyShape(https.format, https.prettyPrint, options.formatter, this.context);
    this.limit = perRequest !== undefined ? { maxEvents: 1, maxBytes: Number.POSITIVE_INFINITY } : payloadLimit(subscription);
    const compact = subscription.protocol === 'TCP_IP' || !https.prettyPrint;
    this.spliceItems = options.formatter.formatBytes !== undefined && compact;
    this.textItems = options.formatter.formatText !== undefined && compact;
  }

  /** A one-event-per-request batch gets the path and headers its event fills in. */
  private withTarget(batch: EncodedBatch): EncodedBatch {
    const perRequest = this.options.formatter.perRequest;
    if (perRequest?.target !== undefined) batch.target = perRequest.target(this.redact(batch.records[0]!.event), this.context);
    return batch;
  }

  /** One event as an encoded item: from its stored bytes when it can be, else from the parsed event, as text or as an object. */
  private encode(record: JournalRecord): Item {
    const { formatter, subscription } = this.options;
    const raw = record.raw;
    let item: Item;
    if (this.spliceItems && raw?.spliceable) item = formatter.formatBytes!(redactRawEvent(raw, subscription.filterOptions), raw.recordedAt, this.context);
    else if (this.textItems) item = [Buffer.from(formatter.formatText!(this.redact(record.event), this.context))];
    else item = [this.shape.encodeItem(formatter.format(this.redact(record.event), this.context))];
    // A syslog frame counts the item's bytes: it is built whole.
    return this.shape.frame ? [this.shape.frame(item.length === 1 ? item[0]! : Buffer.concat(item), record)] : item;
  }

  /** These records as one batch, as this subscription sends them (the test-send route; no filters). */
  encodeRecords(records: readonly JournalRecord[]): EncodedBatch {
    return this.withTarget(encodeBatch(this.shape, this.options.subscription, records.map((record) => this.encode(record)), records, records[0]!.seq, records.at(-1)!.seq, false));
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
    await this.running;
    // An attempt already on the wire gets a short grace to finish: cut off, the destination may
    // well have the batch, and the restart would send it again. No new attempt starts meanwhile.
    const settled = Promise.allSettled([...this.inFlight]);
    const grace = new AbortController();
    await Promise.race([settled, sleep(Math.min(this.options.subscription.delivery.timeoutMs, stopGraceMs), undefined, { signal: grace.signal, ref: false }).catch(() => undefined)]);
    grace.abort();
    this.sends.abort(stopped);
    await settled;
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
        while (window.filter((slot) => !slot.done).length >= maxInFlight) await abortable(changed.promise, this.controller.signal);
        const slot = { lastSeq: batch.lastSeq, done: false, oldestAt: batch.records[0]?.receivedAt };
        window.push(slot);
        this.passedSeq = batch.lastSeq;
        // The cursor is saved behind the deliveries, in order; the next batch does not wait for the fsync.
        const delivered = this.deliver(batch).then(() => {
          slot.done = true;
          this.advance();
        });
        const tracked = delivered.then(
          () => {
            const current = changed;
            changed = deferred<void>();
            current.resolve();
          },
          (error: unknown) => this.fail(error),
        );
        this.inFlight.add(tracked);
        void tracked.finally(() => this.inFlight.delete(tracked));
        prepared = prepare();
        if (maxInFlight === 1) await tracked;
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
    const builder = new BatchBuilder(this.shape, this.limit);
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
        const item = this.encode(record);
        if (!builder.fits(item)) break fill;
        builder.add(item, record);
        this.carriedIndex++;
        this.consumedSeq = record.seq;
        deadline ??= this.clock.now() + subscription.payloadOptions.flushMs;
        if (builder.full) break fill;
      }
    }
    if (builder.count === 0) return undefined;
    const batch = this.withTarget(builder.take(subscription, firstSeq, this.consumedSeq));
    if (batch.oversize) metrics?.eventsOversize.inc({ environment: subscription.environment, subscription: subscription.id });
    return batch;
  }

  /** The main log says once when the destination starts failing, and once when the catch-up after it is done. */
  private noteOutage(batch: EncodedBatch, result: SendResult): void {
    const { logger, subscription, mask = (text: string) => text } = this.options;
    if (this.retrying && this.outage?.recoveredAt === undefined) {
      if (this.outage !== undefined) return;
      this.outage = { since: this.clock.now(), delivered: 0 };
      const cause = result.error === undefined ? `HTTP ${result.status}` : mask(result.error);
      logger.warn({ subscription: subscription.id, status: result.status, error: result.error === undefined ? undefined : mask(result.error) }, `subscription ${subscription.id}: the destination is failing (${cause}); events are kept and retried with backoff`);
      return;
    }
    if (this.outage === undefined || !result.ok) return;
    this.outage.recoveredAt ??= this.clock.now();
    this.outage.delivered += batch.events;
  }

  /** After an outage: once everything stored has been delivered, says how long it lasted and what the catch-up carried. */
  private noteCaughtUp(): void {
    const outage = this.outage;
    if (outage?.recoveredAt === undefined || this.window.some((slot) => !slot.done) || this.reader!.nextSeq <= this.options.journal.stats().lastSeq) return;
    this.outage = undefined;
    const { subscription, logger } = this.options;
    const downMs = outage.recoveredAt - outage.since;
    logger.info({ subscription: subscription.id, downMs, caughtUpEvents: outage.delivered }, `subscription ${subscription.id}: the destination recovered after ${Math.round(downMs / 1000)} s; ${outage.delivered} events delivered in the catch-up`);
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

  /**
   * Delivers every event of the batch or dead-letters it (SPEC §4.5): retries with backoff and
   * Retry-After; on 400/413/422 splits in halves down to single events; keeps a HEC accepted prefix.
   */
  private async deliver(batch: EncodedBatch): Promise<void> {
    const { transport, metrics } = this.options;
    const signal = this.controller.signal;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      const started = this.clock.now();
      const result = await transport.send(batch, this.sends.signal);
      const durationMs = this.clock.now() - started;
      this.options.onAttempt?.({ batch, attempt, result, outcome: attemptOutcome(result), durationMs });
      // A refused batch is split and settled now, not retried: only a retryable failure means failing.
      this.retrying = !result.ok && !result.destinationRefused && onFailure(result.status) === 'retry';
      this.noteOutage(batch, result);
      if (metrics) observeAttempt(metrics, batch, attempt, result, durationMs, this.clock.now());
      if (result.ok) return;
      // network.destinations refused where the name leads now: retrying would not change that.
      if (result.destinationRefused) return this.deadLetter(batch.records, result, 'destination refused');
      if (onFailure(result.status) === 'split') return this.deliverRefused(batch, result);
      const expired = this.expiredPrefix(batch);
      if (expired > 0) {
        await this.deadLetter(batch.records.slice(0, expired), result, 'expired: older than storage.maxAgeHours while the destination kept failing');
        if (expired === batch.events) return;
        return this.deliver(this.part(batch, expired, batch.events));
      }
      // Retry-After raises the wait, never lowers it below the backoff.
      await this.backoff(Math.max(result.retryAfterMs ?? 0, backoffMs(attempt, this.options.random)), signal);
    }
  }

  /** Waits before the next attempt, unless `retryNow` ends the wait first. */
  private async backoff(ms: number, signal: AbortSignal): Promise<void> {
    const wake = new AbortController();
    this.wakeUp.add(wake);
    try {
      await this.clock.sleep(ms, AbortSignal.any([signal, wake.signal]));
    } catch (error) {
      if (signal.aborted) throw error;
    } finally {
      this.wakeUp.delete(wake);
    }
  }

  /** Ends every backoff wait now (the operator's retry); false when nothing was waiting. */
  retryNow(): boolean {
    const waiting = this.wakeUp.size > 0;
    for (const wake of this.wakeUp) wake.abort();
    return waiting;
  }

  private async deliverRefused(batch: EncodedBatch, result: SendResult): Promise<void> {
    // An RFC 8935 receiver says why: `refused by the destination: invalid_key (…)`.
    const detail = setErrorDetail(result.bodyExcerpt);
    const refused = detail === undefined ? 'refused by the destination' : `refused by the destination: ${this.options.mask?.(detail) ?? detail}`;
    const accepted = this.options.subscription.format === 'SPLUNK' ? hecAcceptedPrefix(result.bodyExcerpt) : undefined;
    if (accepted !== undefined && accepted < batch.events) {
      // HEC indexed the events before `accepted`; the one at `accepted` is the suspect.
      if (accepted > 0) this.options.metrics?.eventsDelivered.inc({ environment: batch.environment, subscription: batch.subscriptionId }, accepted);
      if (batch.events === 1) return this.deadLetter(batch.records, result, refused);
      await this.deliver(this.part(batch, accepted, accepted + 1));
      if (accepted + 1 < batch.events) await this.deliver(this.part(batch, accepted + 1, batch.events));
      return;
    }
    if (batch.events === 1) return this.deadLetter(batch.records, result, refused);
    const half = Math.ceil(batch.events / 2);
    await this.deliver(this.part(batch, 0, half));
    await this.deliver(this.part(batch, half, batch.events));
  }

  /** Events [from, to) of a batch as a batch of their own. */
  private part(batch: EncodedBatch, from: number, to: number): EncodedBatch {
    const records = batch.records.slice(from, to);
    const lastSeq = to === batch.events ? batch.lastSeq : records.at(-1)!.seq;
    return this.withTarget(encodeBatch(this.shape, this.options.subscription, batch.items.slice(from, to), records, records[0]!.seq, lastSeq, batch.oversize));
  }

  /** How many of the batch's first events are older than retention. */
  private expiredPrefix(batch: EncodedBatch): number {
    const maxAgeMs = this.options.maxAgeMs;
    if (maxAgeMs === undefined) return 0;
    const oldest = this.clock.now() - maxAgeMs;
    let count = 0;
    while (count < batch.events && batch.records[count]!.receivedAt < oldest) count++;
    return count;
  }

  private async deadLetter(records: readonly JournalRecord[], result: SendResult, reason: string): Promise<void> {
    const { subscription, deadLetters, metrics, logger } = this.options;
    const time = new Date(this.clock.now()).toISOString();
    const letters: DeadLetter[] = records.map((record) => ({
      time,
      subscription: subscription.id,
      environment: subscription.environment,
      seq: record.seq,
      ...(result.status === undefined ? {} : { status: result.status }),
      reason: result.error === undefined ? reason : `${reason}: ${result.error}`,
      ...(result.bodyExcerpt === undefined ? {} : { response: responseSummary(result.bodyExcerpt, this.options.mask ?? redactSecrets) }),
      event: record.event,
    }));
    if (deadLetters === undefined) throw new Error(`subscription ${subscription.id} has no dead-letter store; refusing to drop ${records.length} events`);
    await deadLetters.add(letters);
    const label = reason.startsWith('expired') ? 'expired' : result.destinationRefused ? 'destination_refused' : 'refused';
    metrics?.eventsDeadLettered.inc({ environment: subscription.environment, subscription: subscription.id, reason: label }, records.length);
    for (const letter of letters) {
      logger.warn({ subscription: subscription.id, seq: letter.seq, eventId: letter.event.id, status: letter.status, reason: letter.reason }, `event ${letter.event.id} dead-lettered: ${letter.reason}`);
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

/** A TEMPLATE subscription's templates, parsed (they were checked when the configuration was loaded). */
function requestTemplate(subscription: Subscription): RequestTemplate {
  const { template, httpEndpoint } = subscription;
  const url = splitUrlTemplate(httpEndpoint!.url);
  return {
    body: parseTemplate(template!.body, template!.contentType === 'application/json' ? 'json' : 'form'),
    contentType: template!.contentType,
    ...(url !== undefined && hasPlaceholders(url.path) ? { path: parseTemplate(url.path, 'url') } : {}),
    headers: Object.entries(httpEndpoint!.headers ?? {}).filter(([, value]) => hasPlaceholders(value)).map(([name, value]) => [name.toLowerCase(), parseTemplate(value, 'header')] as const),
  };
}
