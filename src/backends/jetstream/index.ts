// The JetStream backend: the journal, the managed objects, the dead letters and the subscription
// leases in NATS JetStream, shared by every gateway pointed at the same server. storage.dir stays
// this process's own (locked by one gateway): the PID file, key files, source dedupe windows.
import { mkdirSync } from 'node:fs';
import type { OpenBackend } from '../../contracts/storage-backend.js';
import { DirectoryLock } from '../../util/directory-lock.js';
import { JetStreamConfigStore } from './jetstream-config-store.js';
import { JetStreamDeadLetters } from './jetstream-dead-letters.js';
import { JetStreamJournal } from './jetstream-journal.js';
import { NatsLink } from './nats-connection.js';
import { SubscriptionLeases } from './subscription-leases.js';

export const openJetStreamBackend: OpenBackend = async (config, { logger, onDrop }) => {
  const { storage } = config;
  mkdirSync(storage.dir, { recursive: true });
  const lock = DirectoryLock.acquire(storage.dir, logger);
  let link: NatsLink | undefined;
  try {
    link = await NatsLink.open(storage.jetstream!, logger);
    const opened = link;
    const journal = await JetStreamJournal.open({ link, maxBytes: storage.maxMB * 1024 * 1024, maxAgeMs: storage.maxAgeHours * 3_600_000, whenFull: storage.whenFull, logger, onDrop });
    const store = await JetStreamConfigStore.open(link, logger);
    const deadLetters = await JetStreamDeadLetters.open(link);
    return {
      journal,
      store,
      deadLetters,
      ownership: (onOwnedChange) => SubscriptionLeases.open({ link: opened, logger, ttlMs: storage.jetstream!.leaseTtlSeconds * 1000, onOwnedChange }),
      close: async () => {
        await journal.close();
        store.close();
        await opened.close();
        lock.release();
      },
    };
  } catch (error) {
    await link?.close();
    lock.release();
    throw error;
  }
};
