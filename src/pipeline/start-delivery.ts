// Chooses where the pipelines run, from what the storage backend can do and the configuration.
// `server.deliveryThread: auto` picks the thread with 2 cores or more. Measured on 2 cores: beside
// ingest on the main thread, delivery loses the race under 16 connections, falls out of the memory
// tail and reads and scans segment files (39-45k events/s delivered, seconds behind, 27-31 us per
// event); in its thread it keeps up (72-74k, 34 ms, 19.6 us), for a second V8 heap (README, Performance).
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
  const threaded = mode === 'on' || (mode === 'auto' && availableParallelism() >= 2);
  return threaded && sharing ? DeliveryThread.start({ ...options, sharing }, config) : LocalDelivery.start(options, config);
}
