// Where the subscription pipelines run: in the main thread (LocalDelivery), in a thread of their
// own (DeliveryThread) or, with several gateways on shared storage, for the subscriptions this
// process owns (LeasedDelivery). The gateway sees this one contract; start-delivery.ts chooses.
import type { GatewayConfig } from '../config/gateway-config.js';
import type { Journal } from '../contracts/journal.js';
import type { Logger } from '../logger.js';
import type { DeliveryLog } from '../observability/delivery-log.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { DeadLetterArchive } from '../contracts/dead-letters.js';
import type { DeliveryStatus, SubscriptionState } from './pipeline-registry.js';

export type { DeliveryStatus, SubscriptionState };

export interface Delivery {
  /** Brings the pipelines in line with `config` (new, changed, removed subscriptions). */
  apply(config: GatewayConfig): Promise<void>;
  status(id: string): Promise<DeliveryStatus>;
  states(ids: readonly string[]): Promise<SubscriptionState[]>;
  /** Ends the subscription's backoff wait now; false when it is not waiting. */
  retryNow(id: string): Promise<boolean>;
  /** With several gateways on one JetStream journal: this process's name and each subscription's owner. */
  ownership?(): { process: string; owners: Record<string, string | undefined> };
  /** SIGHUP: the delivery log file is reopened. */
  reopenLogs(): void;
  stop(): Promise<void>;
}

export interface DeliveryOptions {
  journal: Journal;
  deadLetters: DeadLetterArchive;
  logger: Logger;
  metrics: GatewayMetrics;
  deliveryLog: DeliveryLog;
}
