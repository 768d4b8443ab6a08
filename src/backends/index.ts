// Where the gateway keeps what must survive it: the journal, the API-managed objects and the dead
// letters. Each backend is a folder beside this file implementing the storage contracts
// (src/contracts/storage-backend.ts); this is the one place that knows them. A new backend is a
// new folder and one line in `backends`.
import type { GatewayConfig } from '../config/gateway-config.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { OpenBackend, StorageBackend } from '../contracts/storage-backend.js';
import { SealedConfigStore } from './sealed-config-store.js';

// Loaded when chosen: a gateway on files does not load the NATS client, nor one on JetStream the file journal.
const backends = {
  file: async () => (await import('./file/index.js')).openFileBackend,
  jetstream: async () => (await import('./jetstream/index.js')).openJetStreamBackend,
} satisfies Record<GatewayConfig['storage']['backend'], () => Promise<OpenBackend>>;

/** Opens `storage.backend`; managed objects are sealed at rest when management.encryptionKey is set, whichever backend keeps them. */
export async function openBackend(config: GatewayConfig, logger: Logger, metrics: GatewayMetrics): Promise<StorageBackend> {
  const open = await backends[config.storage.backend]();
  const backend = await open(config, {
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
