// The subscription pipelines in the main thread, beside ingest (server.deliveryThread: off).
import type { GatewayConfig } from '../config/gateway-config.js';
import type { Delivery, DeliveryOptions, DeliveryStatus, SubscriptionState } from './delivery.js';
import { PipelineRegistry } from './pipeline-registry.js';
import { transportFactory } from './transport-factory.js';

/** The registry of this thread's pipelines, its attempts in the delivery log, its statuses in the metrics. */
export function observedRegistry({ journal, deadLetters, logger, metrics, deliveryLog }: DeliveryOptions, config: GatewayConfig): PipelineRegistry {
  const registry = new PipelineRegistry({
    journal,
    transports: transportFactory(config, logger),
    deadLetters,
    maxAgeMs: config.storage.maxAgeHours * 3_600_000,
    logger,
    metrics,
    onAttempt: (report) => deliveryLog.record(report),
    mask: (text) => deliveryLog.masked(text),
  });
  metrics.observeSubscriptions(() => registry.statuses());
  return registry;
}

export class LocalDelivery implements Delivery {
  private constructor(
    private readonly registry: PipelineRegistry,
    private readonly logger: DeliveryOptions['logger'],
  ) {}

  static async start(options: DeliveryOptions, config: GatewayConfig): Promise<LocalDelivery> {
    const delivery = new LocalDelivery(observedRegistry(options, config), options.logger);
    await delivery.apply(config);
    return delivery;
  }

  apply(config: GatewayConfig): Promise<void> {
    return this.registry.apply(config.subscriptions, transportFactory(config, this.logger));
  }

  status(id: string): Promise<DeliveryStatus> {
    return Promise.resolve(this.registry.status(id));
  }

  states(ids: readonly string[]): Promise<SubscriptionState[]> {
    return Promise.resolve(ids.map((id) => this.registry.state(id)));
  }

  retryNow(id: string): Promise<boolean> {
    return Promise.resolve(this.registry.retryNow(id));
  }

  reopenLogs(): void {
    // The gateway's own delivery log is the one this thread writes to.
  }

  stop(): Promise<void> {
    return this.registry.stopAll();
  }
}
