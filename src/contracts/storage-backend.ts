// A storage backend (DESIGN.md, "Storage backends"): one folder under src/backends/ that keeps the
// journal, the managed objects and the dead letters, opened by src/backends/index.ts and by nothing
// else. What a backend can do beyond the three stores, it says here.
import type { GatewayConfig } from '../config/gateway-config.js';
import type { Logger } from '../logger.js';
import type { ConfigStore } from './config-store.js';
import type { DeadLetterArchive } from './dead-letters.js';
import type { BackendJournal, DropReport } from './journal.js';
import type { JournalSharing } from './journal-sharing.js';
import type { OpenOwnership } from './subscription-ownership.js';

export interface StorageBackend {
  readonly journal: BackendJournal;
  readonly store: ConfigStore;
  readonly deadLetters: DeadLetterArchive;
  /** Present when the journal can be read from the delivery thread. */
  readonly sharing?: JournalSharing;
  /** Present when several gateways share this storage: who delivers which subscription. The store then changes under other processes too. */
  readonly ownership?: OpenOwnership;
  close(): Promise<void>;
}

export interface BackendContext {
  logger: Logger;
  /** Events retention removed before a subscription delivered them. */
  onDrop: (drop: DropReport) => void;
}

export type OpenBackend = (config: GatewayConfig, context: BackendContext) => Promise<StorageBackend>;
