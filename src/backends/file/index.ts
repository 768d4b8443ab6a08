// The file backend (the default): the journal, the managed objects and the dead letters under
// storage.dir, owned by one gateway process (the journal holds the directory lock).
import { join } from 'node:path';
import type { OpenBackend } from '../../contracts/storage-backend.js';
import { DeadLetterStore } from './dead-letter-store.js';
import { FileConfigStore } from './file-config-store.js';
import { FileJournal } from './file-journal.js';
import { fileJournalSharing } from './journal-sharing.js';

export const openFileBackend: OpenBackend = async (config, { logger, onDrop }) => {
  const { storage } = config;
  const journal = await FileJournal.open({ dir: storage.dir, maxBytes: storage.maxMB * 1024 * 1024, maxAgeMs: storage.maxAgeHours * 3_600_000, whenFull: storage.whenFull, tailBytes: storage.memoryTailMB * 1024 * 1024, logger, onDrop });
  try {
    return {
      journal,
      store: await FileConfigStore.open(join(storage.dir, 'managed'), logger),
      deadLetters: new DeadLetterStore(join(storage.dir, 'dead-letters')),
      sharing: fileJournalSharing(journal),
      close: () => journal.close(),
    };
  } catch (error) {
    await journal.close();
    throw error;
  }
};
