// Where the gateway keeps what must survive it: the journal, the API-managed objects and the dead
// letters. Each backend is a folder beside this file implementing the storage contracts
// (src/contracts/storage-backend.ts); this is the one place that knows them. A new backend is a
// new folder and one line in `backends`.
import type { GatewayConfig } from '../config/gateway-config.js';
import type { StorageBackend } from '../contracts/storage-backend.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { openFileBackend } from './file/index.js';
import { openJetStreamBackend } from './jetstream/index.js';
import { SealedConfigStore } from './sealed-config-store.js';

const backends = {
  file: openFileBackend,
  jetstream: openJetStreamBackend,
} satisfies Record<GatewayConfig['storage']['backend'], unknown>;

/** Opens `storage.backend`; managed objects are sealed at rest when management.encryptionKey is set, whichever backend keeps them. */
export async function openBackend(config: GatewayConfig, logger: Logger, metrics: GatewayMetrics): Promise<StorageBackend> {
  const backend = await backends[config.storage.backend](config, {
    logger,
    onDrop: (drop) => metrics.eventsDropped.inc({ environment: drop.environment, subscription: drop.subscriptionId, reason: drop.reason === 'corrupt' ? 'corrupt' : 'retention' }, drop.count),
  });
  try {
    return { ...backend, store: await SealedConfigStore.open(backend.store, config.management, logger) };
  } catch (error) {
    await backend.close();
    throw error;
  }
}
