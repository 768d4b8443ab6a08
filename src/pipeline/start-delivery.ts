// Chooses where the pipelines run, from what the storage backend can do and the configuration.
// `server.deliveryThread: auto` picks the thread only with 4 cores or more: measured on 2 cores,
// the thread's copies, messages and second heap cost more CPU per event than the parallelism gives
// back (README, Performance).
import { availableParallelism } from 'node:os';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { StorageBackend } from '../contracts/storage-backend.js';
import type { Delivery, DeliveryOptions } from './delivery.js';
import { DeliveryThread } from './delivery-thread.js';
import { LeasedDelivery } from './leased-delivery.js';
import { LocalDelivery } from './local-delivery.js';

export function startDelivery(backend: Pick<StorageBackend, 'sharing' | 'ownership'>, options: DeliveryOptions, config: GatewayConfig): Promise<Delivery> {
  const { sharing, ownership } = backend;
  if (ownership) return LeasedDelivery.start({ ...options, ownership }, config);
  const mode = config.server.deliveryThread;
  const threaded = mode === 'on' || (mode === 'auto' && availableParallelism() >= 4);
  return threaded && sharing ? DeliveryThread.start({ ...options, sharing }, config) : LocalDelivery.start(options, config);
}
