// Where the gateway keeps what must survive it: the journal, the API-managed objects and the dead
// letters. `file` (the default) keeps them under storage.dir; `jetstream` keeps them in NATS
// JetStream, shared by every gateway pointed at the same stream. storage.dir stays this process's
// own either way (locked by one gateway): the PID file, key files, source dedupe windows.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../config/gateway-config.js';
import { DirectoryLock } from '../util/directory-lock.js';
import { FileJournal } from './file/file-journal.js';
import { JetStreamJournal } from './jetstream/jetstream-journal.js';
import type { DropReport } from '../contracts/journal.js';
import { NatsLink } from './jetstream/nats-connection.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { DeadLetterStore } from './file/dead-letter-store.js';
import { JetStreamDeadLetters } from './jetstream/jetstream-dead-letters.js';
import { FileConfigStore } from './file/file-config-store.js';
import { JetStreamConfigStore } from './jetstream/jetstream-config-store.js';
import type { ConfigStore } from '../contracts/config-store.js';
import { SealedConfigStore } from './sealed-config-store.js';

export type Backend =
  | { kind: 'file'; journal: FileJournal; store: ConfigStore; deadLetters: DeadLetterStore; close(): Promise<void> }
  | { kind: 'jetstream'; journal: JetStreamJournal; store: ConfigStore; deadLetters: JetStreamDeadLetters; close(): Promise<void> };

export async function openBackend(config: GatewayConfig, logger: Logger, metrics: GatewayMetrics): Promise<Backend> {
  const { storage } = config;
  const onDrop = (drop: DropReport) => metrics.eventsDropped.inc({ environment: drop.environment, subscription: drop.subscriptionId, reason: drop.reason === 'corrupt' ? 'corrupt' : 'retention' }, drop.count);
  const limits = { maxBytes: storage.maxMB * 1024 * 1024, maxAgeMs: storage.maxAgeHours * 3_600_000, whenFull: storage.whenFull, logger, onDrop };
  if (storage.backend === 'file') {
    const journal = await FileJournal.open({ dir: storage.dir, ...limits });
    const store = await SealedConfigStore.open(await FileConfigStore.open(join(storage.dir, 'managed'), logger), config.management, logger);
    return { kind: 'file', journal, store, deadLetters: new DeadLetterStore(join(storage.dir, 'dead-letters')), close: () => journal.close() };
  }
  mkdirSync(storage.dir, { recursive: true });
  const lock = DirectoryLock.acquire(storage.dir, logger);
  let link: NatsLink | undefined;
  try {
    link = await NatsLink.open(storage.jetstream!, logger);
    const journal = await JetStreamJournal.open({ link, ...limits });
    const bucket = await JetStreamConfigStore.open(link, logger);
    const store = await SealedConfigStore.open(bucket, config.management, logger);
    const deadLetters = await JetStreamDeadLetters.open(link);
    const opened = link;
    return {
      kind: 'jetstream',
      journal,
      store,
      deadLetters,
      close: async () => {
        await journal.close();
        bucket.close();
        await opened.close();
        lock.release();
      },
    };
  } catch (error) {
    await link?.close();
    lock.release();
    throw error;
  }
}
