// One SubscriptionPipeline per enabled subscription, kept in step with the configuration: new
// subscriptions start, removed or disabled ones stop (a disabled one keeps its cursor, so its
// events wait in the journal), changed ones restart from their cursor.
import { formatters } from '../../formats/index.js';
import type { Subscription } from '../config/gateway-config.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Clock } from '../util/clock.js';
import { SubscriptionPipeline } from './subscription-pipeline.js';
import type { Transport } from './transport.js';

export type TransportFactory = (subscription: Subscription) => Transport;

export interface RegistryOptions {
  journal: Journal;
  transportFor: TransportFactory;
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

  constructor(private readonly options: RegistryOptions) {}

  /** Brings the running pipelines in line with `subscriptions`. */
  async apply(subscriptions: readonly Subscription[]): Promise<void> {
    const wanted = new Map(subscriptions.filter((subscription) => subscription.enabled).map((subscription) => [subscription.id, subscription]));
    for (const [id, current] of this.running) {
      const next = wanted.get(id);
      if (next === undefined || JSON.stringify(next) !== current.fingerprint) await this.stopOne(id, current);
    }
    for (const subscription of subscriptions) {
      // Every configured subscription holds its cursor, enabled or not (a suspended one accumulates).
      await this.options.journal.openCursor(subscription.id, subscription.environment, subscription.startAt);
      if (subscription.enabled && !this.running.has(subscription.id)) await this.startOne(subscription);
    }
  }

  private async startOne(subscription: Subscription): Promise<void> {
    const transport = this.options.transportFor(subscription);
    const pipeline = new SubscriptionPipeline({ ...this.options, subscription, transport, formatter: formatters[subscription.format] });
    await pipeline.start();
    this.running.set(subscription.id, { pipeline, transport, fingerprint: JSON.stringify(subscription) });
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

  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map(([id, current]) => this.stopOne(id, current)));
  }
}
