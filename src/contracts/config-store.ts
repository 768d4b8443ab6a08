// The ConfigStore contract (DESIGN.md): objects managed through the API (subscriptions now; keys
// and certificates next), kept apart from the configuration file and merged with it into the
// running configuration. The embedded FileConfigStore implements it; a NATS JetStream key-value
// store can later, so nothing above this contract assumes a local file.

export type StoredKind = 'subscription' | 'key' | 'certificate';

export interface StoredObject {
  kind: StoredKind;
  environment: string;
  id: string;
  /** The object as the API accepted it: `${env:…}` references unresolved, secrets included. */
  value: Record<string, unknown>;
  /** Increases with every write: the ETag, and what If-Match compares. */
  version: number;
}

export interface StoreChange {
  operation: 'put' | 'delete';
  object: StoredObject;
}

/** The stored version differs from the one the writer expected (If-Match). */
export class VersionConflictError extends Error {
  readonly code = 'VERSION_CONFLICT';
  constructor(readonly current: number | undefined) {
    super(current === undefined ? 'the object does not exist' : `the object changed (it is at version ${current})`);
  }
}

export interface ConfigStore {
  list(kind: StoredKind): Promise<StoredObject[]>;
  get(kind: StoredKind, environment: string, id: string): Promise<StoredObject | undefined>;
  /** Creates or replaces; with `expectedVersion`, only over that version (VersionConflictError otherwise). */
  put(kind: StoredKind, environment: string, id: string, value: Record<string, unknown>, expectedVersion?: number): Promise<StoredObject>;
  delete(kind: StoredKind, environment: string, id: string, expectedVersion?: number): Promise<StoredObject | undefined>;
  /** Calls `listener` after each change is durable; returns the unsubscribe function. */
  watch(listener: (change: StoreChange) => void): () => void;
}
