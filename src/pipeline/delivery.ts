// Where the subscription pipelines run: in the main thread (LocalDelivery) or in a thread of their
// own (DeliveryThread). The gateway sees one contract either way. `server.deliveryThread: auto`
// picks the thread only with 4 cores or more: measured on 2 cores, the thread's copies, messages
// and second heap cost more CPU per event than the parallelism gives back (README, Performance).
import { availableParallelism } from 'node:os';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { FileJournal } from '../backends/file/file-journal.js';
import type { Logger } from '../logger.js';
import type { DeliveryLog } from '../observability/delivery-log.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { DeadLetterArchive } from '../contracts/dead-letters.js';
import { DeliveryThread } from './delivery-thread.js';
import { LocalDelivery } from './local-delivery.js';
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
  journal: FileJournal;
  deadLetters: DeadLetterArchive;
  logger: Logger;
  metrics: GatewayMetrics;
  deliveryLog: DeliveryLog;
}

/** Starts delivering `config`'s subscriptions, in a thread of their own when `server.deliveryThread` says so. */
export function startDelivery(options: DeliveryOptions, config: GatewayConfig): Promise<Delivery> {
  const mode = config.server.deliveryThread;
  const threaded = mode === 'on' || (mode === 'auto' && availableParallelism() >= 4);
  return threaded ? DeliveryThread.start(options, config) : LocalDelivery.start(options, config);
}
