// Prometheus metrics (prefix siem_gateway_). Labels stay bounded: configured environment and
// subscription ids, fixed reason names; never event data, request paths or URLs.
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { CommitStats, JournalStats } from '../contracts/journal.js';
import { RunHistogram } from './run-histogram.js';

/** What each configured subscription looks like at scrape time. */
export interface SubscriptionStatus {
  id: string;
  environment: string;
  /** Events stored after its cursor (events of other environments it has yet to pass included). */
  backlogEvents: number;
  /** The oldest event it holds undelivered (epoch ms), if any. */
  oldestUndeliveredAt?: number;
  retrying: boolean;
  /** Events wait and nothing happens, with no failure to say why. */
  stalled?: boolean;
  /** Stopped on an unexpected failure, waiting for its restart. */
  failing: boolean;
  clientCertificateExpiresAt?: Date;
}

const subscriptionLabels = ['environment', 'subscription'] as const;
/** The outcome and status class pairs a delivery attempt can have. */
const attemptSeries = [['delivered', '2xx'], ['partial', '2xx'], ['refused', '4xx'], ['failed', '3xx'], ['failed', '4xx'], ['failed', '5xx'], ['failed', 'none'], ['destination_refused', 'none']] as const;

export class GatewayMetrics {
  readonly registry = new Registry();

  readonly eventsReceived = new Counter({
    name: 'siem_gateway_events_received_total',
    help: 'Events accepted into the journal, per environment.',
    labelNames: ['environment'] as const,
    registers: [this.registry],
  });

  readonly ingestRejected = new Counter({
    name: 'siem_gateway_ingest_rejected_total',
    help: 'Ingest requests refused, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly eventsRejected = new Counter({
    name: 'siem_gateway_events_rejected_total',
    help: 'Events in refused ingest requests (all-or-nothing), per environment and reason.',
    labelNames: ['environment', 'reason'] as const,
    registers: [this.registry],
  });

  readonly eventsDropped = new Counter({
    name: 'siem_gateway_events_dropped_total',
    help: 'Events removed from the journal before a subscription delivered them, by reason.',
    labelNames: ['environment', 'subscription', 'reason'] as const,
    registers: [this.registry],
  });

  readonly sourceRejected = new Counter({
    name: 'siem_gateway_source_rejected_total',
    help: 'IdP webhook requests refused, per source and reason (bad_signature, missing_signature, unauthorized, malformed, …).',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });

  readonly eventsDeduplicated = new Counter({
    name: 'siem_gateway_events_deduplicated_total',
    help: 'Events an IdP sent again within dedupeWindowSeconds: acknowledged, stored once.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly sourceUnknownTypes = new Counter({
    name: 'siem_gateway_source_unknown_types_total',
    help: 'Events whose IdP event type has no mapping: stored with a generic action type.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly eventsFiltered = new Counter({
    name: 'siem_gateway_events_filtered_total',
    help: "Events of a subscription's environment that its filters left out.",
    labelNames: ['environment', 'subscription'] as const,
    registers: [this.registry],
  });

  readonly eventsOversize = new Counter({
    name: 'siem_gateway_events_oversize_total',
    help: 'Events larger than the payload limit, sent alone in their own batch.',
    labelNames: ['environment', 'subscription'] as const,
    registers: [this.registry],
  });

  readonly attributesAdjusted = new Counter({
    name: 'siem_gateway_attributes_adjusted_total',
    help: 'Event attributes the destination format could not take as they were (New Relic): renamed to event.<name> because the name was taken, dropped past the limits, or cut to the stored length.',
    labelNames: ['environment', 'subscription', 'reason'] as const,
    registers: [this.registry],
  });

  readonly eventsDelivered = new Counter({
    name: 'siem_gateway_events_delivered_total',
    help: 'Events a destination accepted.',
    labelNames: ['environment', 'subscription'] as const,
    registers: [this.registry],
  });

  readonly eventsAlreadyDelivered = new Counter({
    name: 'siem_gateway_events_already_delivered_total',
    help: 'Events the destination said it already held (Elasticsearch: 409 on create, a redelivery after a crash); counted as delivered too, stored once.',
    labelNames: ['environment', 'subscription'] as const,
    registers: [this.registry],
  });

  readonly eventsDeadLettered = new Counter({
    name: 'siem_gateway_events_dead_lettered_total',
    help: 'Events moved to the dead-letter store: refused one by one, refused by the receiver\'s answer for that event (item_refused: an Elasticsearch bulk item), expired while failing, or sent where network.destinations refuses (destination_refused).',
    labelNames: ['environment', 'subscription', 'reason'] as const,
    registers: [this.registry],
  });

  readonly deliveryAttempts = new Counter({
    name: 'siem_gateway_delivery_attempts_total',
    help: 'Delivery attempts by outcome (delivered, partial: a 2xx whose answer kept only some events, refused: 400/413/422, failed: retried, destination_refused: network.destinations refused the address) and HTTP status class (2xx…5xx, or none for network and TLS errors).',
    labelNames: ['environment', 'subscription', 'outcome', 'status_class'] as const,
    registers: [this.registry],
  });

  readonly deliveryDuration = new Histogram({
    name: 'siem_gateway_delivery_duration_seconds',
    help: 'Time of one delivery attempt, from sending the batch to the full response.',
    labelNames: subscriptionLabels,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly endToEndLatency = new RunHistogram({
    name: 'siem_gateway_end_to_end_latency_seconds',
    help: 'Per event, from accepted (stored) to delivered.',
    labelNames: subscriptionLabels,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600],
    registers: [this.registry],
  });

  readonly indexerAcksPending = new Gauge({
    name: 'siem_gateway_indexer_acks_pending',
    help: 'Batches HEC accepted that wait for their indexer acknowledgement (splunk.indexerAck).',
    labelNames: subscriptionLabels,
    registers: [this.registry],
  });

  readonly indexerAckLatency = new Histogram({
    name: 'siem_gateway_indexer_ack_latency_seconds',
    help: 'From HEC\'s 200 to its acknowledgement that the batch is indexed.',
    labelNames: subscriptionLabels,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });

  readonly indexerAckTimeouts = new Counter({
    name: 'siem_gateway_indexer_ack_timeouts_total',
    help: 'Batches not acknowledged within splunk.ackTimeoutMs, and sent again.',
    labelNames: subscriptionLabels,
    registers: [this.registry],
  });

  readonly batchEvents = new Histogram({
    name: 'siem_gateway_batch_events',
    help: 'Events per batch sent.',
    labelNames: subscriptionLabels,
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers: [this.registry],
  });

  readonly batchBytes = new Histogram({
    name: 'siem_gateway_batch_bytes',
    help: 'Body bytes per batch sent (before compression).',
    labelNames: subscriptionLabels,
    buckets: [1024, 10_240, 102_400, 524_288, 1_048_576, 5_242_880, 10_485_760],
    registers: [this.registry],
  });

  /** Metrics kept by other threads (the delivery thread), merged in at scrape time. */
  private readonly others: (() => Promise<MetricObjectWithValues<MetricValue<string>>[]>)[] = [];

  /** `processMetrics: false` in a second thread: the process's CPU, memory and event loop are the main thread's to report. */
  constructor({ processMetrics = true }: { processMetrics?: boolean } = {}) {
    if (!processMetrics) return;
    collectDefaultMetrics({ register: this.registry, prefix: 'siem_gateway_' });
    // prom-client also names three gauges with a counter's _total suffix, which `promtool check
    // metrics` rejects; nodejs_active_resources (by type) and nodejs_active_handles tell the same.
    for (const name of ['active_handles', 'active_requests', 'active_resources']) this.registry.removeSingleMetric(`siem_gateway_nodejs_${name}_total`);
  }

  /** Adds another thread's metrics to the exposition; series both keep (the zeroed counters) are summed. */
  mergeFrom(source: () => Promise<MetricObjectWithValues<MetricValue<string>>[]>): void {
    this.others.push(source);
  }

  /** The Prometheus text exposition of every thread's metrics. */
  async exposition(): Promise<string> {
    if (this.others.length === 0) return this.registry.metrics();
    // A thread that is restarting has nothing to add this once: the scrape still answers.
    const all = await Promise.all([this.registry.getMetricsAsJSON(), ...this.others.map((source) => source().catch(() => []))]);
    return AggregatorRegistry.aggregate(all).metrics();
  }

  /**
   * Every series of a subscription at 0 from its start: a counter born at 1 has no increase() in
   * Prometheus, so its first dead letter, drop or refusal would fire no alert.
   */
  initSubscription(environment: string, subscription: string): void {
    for (const [metric, labels] of this.subscriptionSeries(environment, subscription)) metric.inc(labels, 0);
    for (const histogram of [this.batchEvents, this.batchBytes, this.deliveryDuration, this.endToEndLatency]) histogram.zero({ environment, subscription });
  }

  /** A deleted subscription's series go with it. */
  removeSubscription(environment: string, subscription: string): void {
    for (const [metric, labels] of this.subscriptionSeries(environment, subscription)) metric.remove(labels);
    for (const histogram of [this.batchEvents, this.batchBytes, this.deliveryDuration, this.endToEndLatency, this.indexerAckLatency]) histogram.remove({ environment, subscription });
    this.indexerAcksPending.remove({ environment, subscription });
  }

  private subscriptionSeries(environment: string, subscription: string): [Counter<string>, Record<string, string>][] {
    const labels = { environment, subscription };
    return [
      [this.eventsDelivered, labels],
      [this.eventsAlreadyDelivered, labels],
      [this.indexerAckTimeouts, labels],
      [this.eventsFiltered, labels],
      [this.eventsOversize, labels],
      ...(['retention', 'corrupt'] as const).map((reason): [Counter<string>, Record<string, string>] => [this.eventsDropped, { ...labels, reason }]),
      ...(['refused', 'item_refused', 'expired', 'destination_refused'] as const).map((reason): [Counter<string>, Record<string, string>] => [this.eventsDeadLettered, { ...labels, reason }]),
      ...(['renamed', 'dropped', 'truncated'] as const).map((reason): [Counter<string>, Record<string, string>] => [this.attributesAdjusted, { ...labels, reason }]),
      ...attemptSeries.map(([outcome, statusClass]): [Counter<string>, Record<string, string>] => [this.deliveryAttempts, { ...labels, outcome, status_class: statusClass }]),
    ];
  }

  /** The source counters at 0 for every configured source. */
  initSources(sources: readonly string[]): void {
    for (const source of sources) {
      this.eventsDeduplicated.inc({ source }, 0);
      this.sourceUnknownTypes.inc({ source }, 0);
      for (const reason of ['missing_signature', 'bad_signature', 'unauthorized', 'malformed', 'unsupported_media_type', 'too_large', 'invalid_event']) this.sourceRejected.inc({ source, reason }, 0);
    }
  }

  /** The ingest counters at 0 for every environment and reason. */
  initIngest(environments: readonly string[], reasons: readonly string[]): void {
    for (const reason of reasons) this.ingestRejected.inc({ reason }, 0);
    for (const environment of environments) {
      this.eventsReceived.inc({ environment }, 0);
      for (const reason of reasons) this.eventsRejected.inc({ environment, reason }, 0);
    }
  }

  /** Journal gauges, read from the journal at scrape time. */
  observeJournal(stats: () => JournalStats): void {
    const gauge = (name: string, help: string, read: (s: JournalStats) => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(read(stats())); } });
    gauge('siem_gateway_journal_bytes', 'Bytes the journal segments take on disk.', (s) => s.bytes);
    gauge('siem_gateway_journal_max_bytes', 'The journal size limit (storage.maxMB).', (s) => s.maxBytes);
    gauge('siem_gateway_journal_segments', 'Segment files in the journal.', (s) => s.segments);
    gauge('siem_gateway_journal_last_seq', 'Seq of the newest durable event.', (s) => s.lastSeq);
    // Group commits: each is one write and one fdatasync for every append waiting at that moment.
    const counter = (name: string, help: string, read: (c: CommitStats) => number) =>
      new Counter({ name, help, registers: [this.registry], collect() { const commits = stats().commits; if (commits === undefined) return; this.reset(); this.inc(read(commits)); } });
    counter('siem_gateway_journal_commits_total', 'Group commits of the file journal (one write and one fdatasync each).', (c) => c.rounds);
    counter('siem_gateway_journal_committed_appends_total', 'Appends (ingest requests) those commits made durable: divided by commits, the group size.', (c) => c.appends);
    counter('siem_gateway_journal_commit_write_seconds_total', 'Time the commits spent writing, as the event loop saw it.', (c) => c.writeSeconds);
    counter('siem_gateway_journal_commit_sync_seconds_total', 'Time the commits spent in fdatasync, as the event loop saw it.', (c) => c.syncSeconds);
  }

  /** Per-subscription gauges, read at scrape time; a removed subscription's series disappear. */
  /** Several gateways on one JetStream journal: which subscriptions this process delivers, and how many processes share them. */
  observeOwnership(read: () => { process: string; owned: readonly { id: string; environment: string }[]; members: number }): void {
    new Gauge({
      name: 'siem_gateway_subscription_owned',
      help: 'Set to 1 for each subscription this gateway process holds the lease of and delivers (storage.backend: jetstream).',
      labelNames: [...subscriptionLabels, 'process'],
      registers: [this.registry],
      collect() {
        this.reset();
        const { process, owned } = read();
        for (const { id, environment } of owned) this.set({ environment, subscription: id, process }, 1);
      },
    });
    new Gauge({ name: 'siem_gateway_cluster_members', help: 'Gateway processes sharing the JetStream journal, as this one sees them.', registers: [this.registry], collect() { this.set(read().members); } });
  }

  observeSubscriptions(statuses: () => SubscriptionStatus[]): void {
    const registry = this.registry;
    const gauge = (name: string, help: string, value: (status: SubscriptionStatus, now: number) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: subscriptionLabels,
        registers: [registry],
        collect() {
          this.reset();
          const now = Date.now();
          for (const status of statuses()) {
            const v = value(status, now);
            if (v !== undefined) this.set({ environment: status.environment, subscription: status.id }, v);
          }
        },
      });
    gauge('siem_gateway_backlog_events', 'Events stored after the subscription\'s cursor, not yet delivered or passed.', (status) => status.backlogEvents);
    gauge('siem_gateway_oldest_event_age_seconds', 'Age of the oldest event the subscription holds undelivered; 0 when it is caught up.', (status, now) => (status.oldestUndeliveredAt === undefined ? 0 : Math.max(0, now - status.oldestUndeliveredAt) / 1000));
    gauge('siem_gateway_delivery_retrying', '1 while nothing is delivered: the destination keeps failing, or the subscription is failing.', (status) => (status.retrying ? 1 : 0));
    gauge('siem_gateway_delivery_stalled', '1 while events wait and nothing is sent for 20 s past the flush interval and the timeout, with no failure to say why.', (status) => (status.stalled ? 1 : 0));
    gauge('siem_gateway_subscription_failing', '1 while the subscription is stopped on an unexpected failure (a cursor or dead-letter write) and restarting with backoff.', (status) => (status.failing ? 1 : 0));
    gauge('siem_gateway_client_certificate_expiry_timestamp_seconds', 'When the subscription\'s mTLS client certificate expires (Unix time).', (status) => (status.clientCertificateExpiresAt === undefined ? undefined : status.clientCertificateExpiresAt.getTime() / 1000));
  }
}
