// Delivery when several gateways share one storage (JetStream): every process knows every
// subscription (and makes sure each has its cursor, so "latest" means from when it was configured,
// not from when an owner showed up), but runs pipelines only for the subscriptions it owns. The
// backend's ownership (leases) decides; this class keeps the pipelines in step with it.
import type { GatewayConfig } from '../config/gateway-config.js';
import type { OpenOwnership, SubscriptionOwnership } from '../contracts/subscription-ownership.js';
import { SerialQueue } from '../util/serial-queue.js';
import type { Delivery, DeliveryOptions, DeliveryStatus, SubscriptionState } from './delivery.js';
import { observedRegistry } from './local-delivery.js';
import type { PipelineRegistry } from './pipeline-registry.js';
import { transportFactory } from './transport-factory.js';

export interface LeasedDeliveryOptions extends DeliveryOptions {
  ownership: OpenOwnership;
}

export class LeasedDelivery implements Delivery {
  private config: GatewayConfig;
  private leases!: SubscriptionOwnership;
  private readonly queue = new SerialQueue();
  private readonly cursorsOpened = new Set<string>();
  private stopping = false;

  private constructor(
    private readonly registry: PipelineRegistry,
    private readonly options: LeasedDeliveryOptions,
    config: GatewayConfig,
  ) {
    this.config = config;
  }

  static async start(options: LeasedDeliveryOptions, config: GatewayConfig): Promise<LeasedDelivery> {
    const { metrics } = options;
    const registry = observedRegistry(options, config);
    const delivery = new LeasedDelivery(registry, options, config);
    delivery.leases = await options.ownership(() => delivery.follow());
    metrics.observeOwnership(() => ({
      process: delivery.leases.processName,
      owned: delivery.config.subscriptions.filter((subscription) => delivery.leases.owned.has(subscription.id)),
      members: delivery.leases.liveMembers.length,
    }));
    await delivery.apply(config);
    return delivery;
  }

  async apply(config: GatewayConfig): Promise<void> {
    this.config = config;
    // Each configured subscription gets its consumer now, whoever will deliver it.
    for (const subscription of config.subscriptions) {
      if (this.cursorsOpened.has(subscription.id)) continue;
      await this.options.journal.openCursor(subscription.id, subscription.environment, subscription.startAt);
      this.cursorsOpened.add(subscription.id);
    }
    const configured = new Set(config.subscriptions.map((subscription) => subscription.id));
    for (const id of this.cursorsOpened) if (!configured.has(id)) this.cursorsOpened.delete(id);
    await this.follow();
    await this.leases.setWanted(config.subscriptions.filter((subscription) => subscription.enabled).map((subscription) => subscription.id));
  }

  /** Pipelines for exactly the subscriptions whose lease this process holds. */
  private follow(): Promise<void> {
    return this.queue.run(() => {
      if (this.stopping) return Promise.resolve();
      const owned = this.leases.owned;
      return this.registry.apply(
        this.config.subscriptions.filter((subscription) => owned.has(subscription.id)),
        transportFactory(this.config, this.options.logger),
      );
    });
  }

  /** This process's name and each subscription's owner, for /readyz and the status route. */
  ownership(): { process: string; owners: Record<string, string | undefined> } {
    return { process: this.leases.processName, owners: Object.fromEntries(this.config.subscriptions.map((subscription) => [subscription.id, this.leases.ownerOf(subscription.id)])) };
  }

  status(id: string): Promise<DeliveryStatus> {
    return Promise.resolve(this.leases.owned.has(id) ? this.registry.status(id) : { ...this.registry.status(id), state: this.elsewhere(id) });
  }

  states(ids: readonly string[]): Promise<SubscriptionState[]> {
    return Promise.resolve(ids.map((id) => (this.leases.owned.has(id) ? this.registry.state(id) : this.elsewhere(id))));
  }

  private elsewhere(id: string): SubscriptionState {
    const subscription = this.config.subscriptions.find((candidate) => candidate.id === id);
    return subscription?.enabled === false ? 'suspended' : 'elsewhere';
  }

  retryNow(id: string): Promise<boolean> {
    return Promise.resolve(this.registry.retryNow(id));
  }

  reopenLogs(): void {
    // The gateway's own delivery log is the one this process writes to.
  }

  /** Stops the pipelines, then hands the leases back so the other gateways take over at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue.run(() => this.registry.stopAll());
    await this.leases.close();
  }
}
