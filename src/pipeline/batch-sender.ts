// Sending one batch until every event is delivered or dead-lettered (SPEC §4.5): retries with
// backoff and Retry-After, splits a refused batch (400/413/422) in halves down to single events,
// keeps a Splunk HEC accepted prefix, dead-letters what is refused alone, expired or sent to a
// refused destination. Counts as delivered only what the receiver confirms: each event of an
// answer read event by event (bulk items, OTLP partial success), and with HEC indexer
// acknowledgement only acknowledged batches. Says once in the main log when the destination starts
// failing and once when the catch-up after it is done.
import type { Subscription } from '../config/gateway-config.js';
import type { DeadLetter, DeadLetterSink } from '../contracts/dead-letters.js';
import { UnreadableResponseError, type FormatContext, type Formatter, type ItemOutcome } from '../contracts/formatter.js';
import type { AttemptOutcome, AttemptReport, EncodedBatch, SendResult, Transport } from '../contracts/transport.js';
import type { JournalRecord } from '../event/activity-event.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { redactSecrets } from '../observability/redact-secrets.js';
import { responseSummary } from '../observability/response-summary.js';
import type { Clock } from '../util/clock.js';
import type { IndexerAcks } from './indexer-acks.js';
import { attemptOutcome, backoffMs, hecAcceptedPrefix, hecAckId, hecChannelProblem, setErrorDetail } from './retry-policy.js';
import type { SubscriptionEncoder } from './subscription-encoder.js';

export interface SenderOptions {
  subscription: Subscription;
  transport: Transport;
  /** Its readItems, when the format reads answers event by event. */
  formatter?: Pick<Formatter, 'readItems'>;
  /** splunk.indexerAck: where HEC's acknowledgements are awaited. */
  acks?: IndexerAcks;
  logger: Logger;
  metrics?: GatewayMetrics;
  deadLetters?: DeadLetterSink;
  maxAgeMs?: number;
  random?: () => number;
  onAttempt?: (report: AttemptReport) => void;
  mask?: (text: string) => string;
}

export class BatchSender {
  /** The backoff waits under way (one per batch in flight). */
  private readonly wakeUp = new Set<AbortController>();
  /** True while the destination keeps failing (between a failed attempt and the next success). */
  retrying = false;
  /** splunk.indexerAck on a token without it: said once. */
  private warnedNoAckId = false;
  /** From the first failed attempt until the backlog it left is delivered: one log line each way. */
  private outage: { since: number; recoveredAt?: number; delivered: number } | undefined;

  constructor(
    private readonly options: SenderOptions,
    private readonly encoder: SubscriptionEncoder,
    private readonly clock: Clock,
    /** Aborted when the pipeline stops: no new attempt, no more waiting. */
    private readonly stop: AbortSignal,
    /** Aborted when the attempts on the wire are cut off (after stop's grace). */
    private readonly wire: AbortSignal,
  ) {}

  /**
   * Delivers every event of the batch or dead-letters it (SPEC §4.5): retries with backoff and
   * Retry-After; on 400/413/422 splits in halves down to single events; keeps a HEC accepted prefix.
   * A format that reads answers event by event (ELASTICSEARCH, OTLP) settles each event as the
   * receiver says: kept, dead-lettered with its own reason, or sent again alone, in order, before
   * this returns. With indexer acknowledgement, `sent` is called once HEC has the batch, and this
   * returns once HEC says it is indexed (sending it again when that does not come in time).
   */
  async deliver(batch: EncodedBatch, sent?: () => void): Promise<void> {
    const { transport, metrics } = this.options;
    const signal = this.stop;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      const started = this.clock.now();
      let result = await transport.send(batch, this.wire);
      const durationMs = this.clock.now() - started;
      const read = result.ok ? this.readItems(batch, result) : undefined;
      if (typeof read === 'string') result = { ...result, ok: false, error: read };
      const channelProblem = result.ok ? undefined : hecChannelProblem(result.bodyExcerpt);
      if (channelProblem !== undefined) result = { ...result, error: channelProblem };
      const items = typeof read === 'string' ? undefined : read;
      if (items !== undefined) result = { ...result, itemCounts: countItems(items) };
      const partial = result.itemCounts !== undefined && result.itemCounts.delivered < batch.events;
      const outcome = partial ? 'partial' : attemptOutcome(result);
      this.options.onAttempt?.({ batch, attempt, result, outcome, durationMs });
      // A refused batch is split and settled now, not retried: only a retryable failure means failing.
      this.retrying = outcome === 'failed' || (result.itemCounts?.retried ?? 0) > 0;
      this.noteOutage(batch, result);
      if (metrics) observeAttempt(metrics, batch, attempt, result, outcome, durationMs);
      if (result.ok && items === undefined) {
        if (await this.acknowledged(batch, result, sent)) return this.delivered(batch.records);
        continue; // not acknowledged in time: sent again at once
      }
      if (result.ok) {
        const again = await this.settleItems(batch, items!, result);
        if (again === undefined) return;
        batch = again;
      } else {
        // network.destinations refused where the name leads now: retrying would not change that.
        if (result.destinationRefused) return this.deadLetter(batch.records, result, 'destination refused');
        if (outcome === 'refused') return this.deliverRefused(batch, result);
      }
      const expired = this.expiredPrefix(batch);
      if (expired > 0) {
        await this.deadLetter(batch.records.slice(0, expired), result, 'expired: older than storage.maxAgeHours while the destination kept failing');
        if (expired === batch.events) return;
        return this.deliver(this.encoder.part(batch, expired, batch.events));
      }
      // Retry-After raises the wait, never lowers it below the backoff.
      await this.backoff(Math.max(result.retryAfterMs ?? 0, backoffMs(attempt, this.options.random)), signal);
    }
  }

  /**
   * With splunk.indexerAck, true once HEC acknowledges the batch it answered with an ackId, false
   * when the acknowledgement does not come within ackTimeoutMs. True at once without acknowledgement.
   */
  private async acknowledged(batch: EncodedBatch, result: SendResult, sent: (() => void) | undefined): Promise<boolean> {
    const acks = this.options.acks;
    if (acks === undefined) return true;
    const ackId = hecAckId(result.bodyExcerpt);
    const { subscription, logger } = this.options;
    if (ackId === undefined) {
      // The token does not have indexer acknowledgement on (useACK): HEC's 200 is all there is.
      if (!this.warnedNoAckId) logger.warn({ subscription: subscription.id }, `subscription ${subscription.id}: splunk.indexerAck is on, but HEC answered without an ackId (the token does not have indexer acknowledgement enabled); batches count as delivered on HEC's 200`);
      this.warnedNoAckId = true;
      return true;
    }
    // The next batch may go while this one waits to be indexed.
    sent?.();
    if (await acks.wait(ackId)) return true;
    this.stop.throwIfAborted();
    logger.warn({ subscription: subscription.id, batch: batch.id, ackId, ackTimeoutMs: subscription.splunk?.ackTimeoutMs }, `subscription ${subscription.id}: batch ${batch.id} (ackId ${ackId}) was not acknowledged as indexed within splunk.ackTimeoutMs; sending it again`);
    return false;
  }

  /** What a 2xx answer says of each event, when the format reads it; why not, in words, when it does not account for every one. */
  private readItems(batch: EncodedBatch, result: SendResult): readonly ItemOutcome[] | string | undefined {
    const read = readAnswer(this.options.formatter, result, batch.events, this.encoder.context);
    return read !== undefined && 'unreadable' in read ? `the answer does not say what became of each event (${read.unreadable}); the request is sent again` : read;
  }

  /**
   * Settles each event as the receiver said: delivered ones are counted, rejected ones
   * dead-lettered with their own reason; returns the ones to send again (in order), if any.
   */
  private async settleItems(batch: EncodedBatch, items: readonly ItemOutcome[], result: SendResult): Promise<EncodedBatch | undefined> {
    const delivered: JournalRecord[] = [];
    const rejected: { record: JournalRecord; status?: number; reason: string }[] = [];
    const again: number[] = [];
    let duplicates = 0;
    items.forEach((item, position) => {
      const record = batch.records[position]!;
      if (item.outcome === 'delivered') {
        delivered.push(record);
        if (item.duplicate === true) duplicates++;
      } else if (item.outcome === 'rejected') rejected.push({ record, ...(item.status === undefined ? {} : { status: item.status }), reason: `refused by the destination: ${this.options.mask?.(item.reason) ?? item.reason}` });
      else again.push(position);
    });
    if (delivered.length > 0) this.delivered(delivered);
    if (duplicates > 0) this.options.metrics?.eventsAlreadyDelivered.inc({ environment: batch.environment, subscription: batch.subscriptionId }, duplicates);
    for (const { record, status, reason } of rejected) await this.deadLetter([record], { ...result, ...(status === undefined ? {} : { status }), bodyExcerpt: undefined }, reason, 'item_refused');
    return again.length === 0 ? undefined : this.encoder.pick(batch, again);
  }

  /** Counts events the destination confirmed, and how long each took from its 202. */
  private delivered(records: readonly JournalRecord[]): void {
    const metrics = this.options.metrics;
    if (metrics === undefined || records.length === 0) return;
    const labels = { environment: this.options.subscription.environment, subscription: this.options.subscription.id };
    metrics.eventsDelivered.inc(labels, records.length);
    // The events of one request share their receive time: one observation per run.
    const now = this.clock.now();
    const series = metrics.endToEndLatency.labels(labels);
    for (let i = 0; i < records.length; ) {
      const receivedAt = records[i]!.receivedAt;
      let j = i + 1;
      while (j < records.length && records[j]!.receivedAt === receivedAt) j++;
      metrics.endToEndLatency.observe(series, (now - receivedAt) / 1000, j - i);
      i = j;
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
      this.delivered(batch.records.slice(0, accepted));
      if (batch.events === 1) return this.deadLetter(batch.records, result, refused);
      await this.deliver(this.encoder.part(batch, accepted, accepted + 1));
      if (accepted + 1 < batch.events) await this.deliver(this.encoder.part(batch, accepted + 1, batch.events));
      return;
    }
    if (batch.events === 1) return this.deadLetter(batch.records, result, refused);
    const half = Math.ceil(batch.events / 2);
    await this.deliver(this.encoder.part(batch, 0, half));
    await this.deliver(this.encoder.part(batch, half, batch.events));
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

  /** Keeps events the destination will not take (SPEC §4.5): durable before the cursor moves past them. */
  private async deadLetter(records: readonly JournalRecord[], result: SendResult, reason: string, label?: 'item_refused'): Promise<void> {
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
    metrics?.eventsDeadLettered.inc({ environment: subscription.environment, subscription: subscription.id, reason: label ?? (reason.startsWith('expired') ? 'expired' : result.destinationRefused ? 'destination_refused' : 'refused') }, records.length);
    for (const letter of letters) {
      logger.warn({ subscription: subscription.id, seq: letter.seq, eventId: letter.event.id, status: letter.status, reason: letter.reason }, `event ${letter.event.id} dead-lettered: ${letter.reason}`);
    }
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

  /** True after an outage, until `caughtUp` is called. */
  get recovering(): boolean {
    return this.outage?.recoveredAt !== undefined;
  }

  /** Everything stored has been delivered after an outage: says how long it lasted and what the catch-up carried. */
  caughtUp(): void {
    const outage = this.outage;
    if (outage?.recoveredAt === undefined) return;
    this.outage = undefined;
    const { subscription, logger } = this.options;
    const downMs = outage.recoveredAt - outage.since;
    logger.info({ subscription: subscription.id, downMs, caughtUpEvents: outage.delivered }, `subscription ${subscription.id}: the destination recovered after ${Math.round(downMs / 1000)} s; ${outage.delivered} events delivered in the catch-up`);
  }
}

function observeAttempt(metrics: GatewayMetrics, batch: EncodedBatch, attempt: number, result: SendResult, outcome: AttemptOutcome, durationMs: number): void {
  const labels = { environment: batch.environment, subscription: batch.subscriptionId };
  const statusClass = result.status === undefined ? 'none' : `${Math.floor(result.status / 100)}xx`;
  metrics.deliveryAttempts.inc({ ...labels, outcome, status_class: statusClass });
  metrics.deliveryDuration.observe(labels, durationMs / 1000);
  if (attempt === 1) {
    metrics.batchEvents.observe(labels, batch.events);
    metrics.batchBytes.observe(labels, batch.body.length);
  }
}

/**
 * What a 2xx answer says of each of `events` events, when the format reads answers event by event
 * (undefined otherwise, or for a failed attempt); why not, when it does not account for every one.
 */
export function readAnswer(formatter: Pick<Formatter, 'readItems'> | undefined, result: SendResult, events: number, context: FormatContext): readonly ItemOutcome[] | { unreadable: string } | undefined {
  if (!result.ok || formatter?.readItems === undefined) return undefined;
  try {
    return formatter.readItems(result.body ?? Buffer.alloc(0), events, context);
  } catch (error) {
    if (!(error instanceof UnreadableResponseError)) throw error;
    return { unreadable: error.message };
  }
}

function countItems(items: readonly ItemOutcome[]): { delivered: number; retried: number; rejected: number } {
  const counts = { delivered: 0, retried: 0, rejected: 0 };
  for (const item of items) counts[item.outcome === 'delivered' ? 'delivered' : item.outcome === 'retry' ? 'retried' : 'rejected']++;
  return counts;
}
