// One SubscriptionPipeline per enabled subscription, kept in step with the configuration: new
// subscriptions start, removed or disabled ones stop (a disabled one keeps its cursor, so its
// events wait in the journal), changed ones restart from their cursor.
import { formatters } from '../../formats/index.js';
import type { Subscription } from '../config/gateway-config.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics, SubscriptionStatus } from '../observability/metrics.js';
import type { Clock } from '../util/clock.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import { SubscriptionPipeline, type AttemptReport } from './subscription-pipeline.js';
import type { TransportFactory } from './transport-factory.js';
import type { Transport } from './transport.js';

export interface RegistryOptions {
  journal: Journal;
  transports: TransportFactory;
  deadLetters?: DeadLetterStore;
  maxAgeMs?: number;
  onAttempt?: (report: AttemptReport) => void;
  logger: Logger;
  metrics?: GatewayMetrics;
  clock?: Clock;
}

interface Running {
  pipeline: SubscriptionPipeline;
  transport: Transport;
  /** The configuration it runs with, to tell a changed subscription from an unchanged one. */
  fingerprint: string;
}

export class PipelineRegistry {
  private readonly running = new Map<string, Running>();
  private configured: readonly Subscription[] = [];

  constructor(private readonly options: RegistryOptions) {}

  /** Brings the running pipelines in line with `subscriptions` (built by `transports`, which may be new). */
  async apply(subscriptions: readonly Subscription[], transports?: TransportFactory): Promise<void> {
    if (transports) this.options.transports = transports;
    const wanted = new Map(subscriptions.filter((subscription) => subscription.enabled).map((subscription) => [subscription.id, subscription]));
    for (const [id, current] of this.running) {
      const next = wanted.get(id);
      if (next === undefined || this.options.transports.fingerprint(next) !== current.fingerprint) await this.stopOne(id, current);
    }
    // A removed subscription stops holding events against retention; its cursor file stays for a re-add.
    const ids = new Set(subscriptions.map((subscription) => subscription.id));
    for (const { id } of this.configured) if (!ids.has(id)) this.options.journal.releaseCursor(id);
    this.configured = subscriptions;
    for (const subscription of subscriptions) {
      // Every configured subscription holds its cursor, enabled or not (a suspended one accumulates).
      await this.options.journal.openCursor(subscription.id, subscription.environment, subscription.startAt);
      if (subscription.enabled && !this.running.has(subscription.id)) await this.startOne(subscription);
    }
  }

  private async startOne(subscription: Subscription): Promise<void> {
    let transport: Transport;
    try {
      transport = this.options.transports.create(subscription);
    } catch (error) {
      // Its cursor stays open, so its events wait in the journal until it can run.
      this.options.logger.error({ subscription: subscription.id, err: error }, `subscription ${subscription.id} cannot start: ${(error as Error).message}; its events are kept`);
      return;
    }
    const pipeline = new SubscriptionPipeline({ ...this.options, subscription, transport, formatter: formatters[subscription.format] });
    await pipeline.start();
    this.running.set(subscription.id, { pipeline, transport, fingerprint: this.options.transports.fingerprint(subscription) });
    this.options.logger.info({ subscription: subscription.id, environment: subscription.environment }, 'subscription started');
  }

  private async stopOne(id: string, current: Running): Promise<void> {
    this.running.delete(id);
    await current.pipeline.stop();
    await current.transport.close();
    this.options.logger.info({ subscription: id }, 'subscription stopped');
  }

  has(id: string): boolean {
    return this.running.has(id);
  }

  /** `retrying` while a running subscription's destination keeps failing. */
  state(id: string): 'ok' | 'retrying' | 'suspended' {
    const running = this.running.get(id);
    if (running === undefined) return 'suspended';
    return running.pipeline.retrying ? 'retrying' : 'ok';
  }

  /** Every configured subscription as metrics see it, suspended ones included. */
  statuses(): SubscriptionStatus[] {
    const stats = this.options.journal.stats();
    return this.configured.map(({ id, environment }) => {
      const running = this.running.get(id);
      return {
        id,
        environment,
        backlogEvents: Math.max(0, stats.lastSeq - (stats.cursors[id] ?? stats.lastSeq)),
        oldestUndeliveredAt: running?.pipeline.oldestUndeliveredAt(),
        retrying: running?.pipeline.retrying ?? false,
        clientCertificateExpiresAt: running?.transport.clientCertificateExpiresAt?.(),
      };
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map(([id, current]) => this.stopOne(id, current)));
  }
}
