// Prometheus metrics (prefix siem_gateway_). Labels stay bounded: configured environment and
// subscription ids, fixed reason names; never event data, request paths or URLs.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { JournalStats } from '../journal/journal.js';

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

  readonly eventsDelivered = new Counter({
    name: 'siem_gateway_events_delivered_total',
    help: 'Events a destination accepted.',
    labelNames: ['environment', 'subscription'] as const,
    registers: [this.registry],
  });

  readonly eventsDeadLettered = new Counter({
    name: 'siem_gateway_events_dead_lettered_total',
    help: 'Events moved to the dead-letter store: refused one by one, or expired while failing.',
    labelNames: ['environment', 'subscription', 'reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'siem_gateway_' });
  }

  /** Journal gauges, read from the journal at scrape time. */
  observeJournal(stats: () => JournalStats): void {
    const gauge = (name: string, help: string, read: (s: JournalStats) => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(read(stats())); } });
    gauge('siem_gateway_journal_bytes', 'Bytes the journal segments take on disk.', (s) => s.bytes);
    gauge('siem_gateway_journal_max_bytes', 'The journal size limit (storage.maxMB).', (s) => s.maxBytes);
    gauge('siem_gateway_journal_segments', 'Segment files in the journal.', (s) => s.segments);
    gauge('siem_gateway_journal_last_seq', 'Seq of the newest durable event.', (s) => s.lastSeq);
  }
}
