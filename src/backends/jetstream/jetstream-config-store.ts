// The ConfigStore contract over a JetStream key-value bucket (storage.backend: jetstream): every
// gateway reads and writes the same API-managed subscriptions, keys and certificates. A key's
// revision is the object's version (the ETag), so If-Match is the bucket's compare-and-set, and
// every process's watch sees every change, whichever gateway made it.
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { apiErrorCode, fromSubjectToken, subjectToken, type NatsLink } from './nats-connection.js';
import type { Logger } from '../../logger.js';
import { VersionConflictError, type ConfigStore, type StoreChange, type StoredKind, type StoredObject } from '../../contracts/config-store.js';

const kinds: readonly StoredKind[] = ['subscription', 'key', 'certificate'];
const keyOf = (kind: StoredKind, environment: string, id: string) => `${kind}.${subjectToken(environment)}.${subjectToken(id)}`;

export class JetStreamConfigStore implements ConfigStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private stopWatch: (() => void) | undefined;

  private constructor(
    private readonly kv: KV,
    private readonly logger: Logger,
  ) {}

  /** Opens (or creates) the bucket `<stream>-config` and follows it from its current contents on. */
  static async open(link: NatsLink, logger: Logger): Promise<JetStreamConfigStore> {
    const kv = await new Kvm(link.connection).create(`${link.settings.stream}-config`, { history: 5, replicas: link.settings.replicas, storage: 'file' });
    const store = new JetStreamConfigStore(kv, logger);
    await store.follow();
    return store;
  }

  /** Reads every key, then applies each later change as it comes: the local map is the bucket. */
  private async follow(): Promise<void> {
    const watcher = await this.kv.watch();
    let initial = true;
    const ready = new Promise<void>((resolve) => {
      void (async () => {
        for await (const entry of watcher) {
          const change = this.take(entry);
          if (entry.isUpdate) initial = false;
          if (!initial && change) for (const listener of this.listeners) listener(change);
          if (entry.delta === 0) {
            initial = false;
            resolve();
          }
        }
      })();
      // An empty bucket sends nothing before its first change.
      void this.kv.status().then((status) => (status.values === 0 ? resolve() : undefined));
    });
    this.stopWatch = () => watcher.stop();
    await ready;
  }

  private take(entry: KvEntry): StoreChange | undefined {
    const [kind, environment, id] = entry.key.split('.');
    if (!kinds.includes(kind as StoredKind) || environment === undefined || id === undefined) return undefined;
    const name = entry.key;
    if (entry.operation !== 'PUT') {
      const gone = this.objects.get(name);
      this.objects.delete(name);
      return gone && { operation: 'delete', object: gone };
    }
    try {
      const value = entry.json<Record<string, unknown>>();
      const object: StoredObject = { kind: kind as StoredKind, environment: fromSubjectToken(environment), id: fromSubjectToken(id), value, version: entry.revision };
      this.objects.set(name, object);
      return { operation: 'put', object };
    } catch (error) {
      this.logger.error({ key: name, err: error }, `the configuration bucket's ${name} cannot be parsed; it is left out`);
      return undefined;
    }
  }

  list(kind: StoredKind): Promise<StoredObject[]> {
    return Promise.resolve([...this.objects.values()].filter((object) => object.kind === kind));
  }

  async get(kind: StoredKind, environment: string, id: string): Promise<StoredObject | undefined> {
    const entry = await this.kv.get(keyOf(kind, environment, id));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return { kind, environment, id, value: entry.json<Record<string, unknown>>(), version: entry.revision };
  }

  async put(kind: StoredKind, environment: string, id: string, value: Record<string, unknown>, expectedVersion?: number): Promise<StoredObject> {
    const key = keyOf(kind, environment, id);
    const data = JSON.stringify(value);
    let version: number;
    try {
      version = expectedVersion === undefined ? await this.kv.put(key, data) : await this.kv.update(key, data, expectedVersion);
    } catch (error) {
      if (isWrongRevision(error)) throw new VersionConflictError((await this.get(kind, environment, id))?.version);
      throw error;
    }
    const object: StoredObject = { kind, environment, id, value, version };
    await this.seen(key, version);
    return object;
  }

  async delete(kind: StoredKind, environment: string, id: string, expectedVersion?: number): Promise<StoredObject | undefined> {
    const current = await this.get(kind, environment, id);
    if (current === undefined) return undefined;
    if (expectedVersion !== undefined && current.version !== expectedVersion) throw new VersionConflictError(current.version);
    try {
      await this.kv.delete(keyOf(kind, environment, id), { previousSeq: current.version });
    } catch (error) {
      if (isWrongRevision(error)) throw new VersionConflictError((await this.get(kind, environment, id))?.version);
      throw error;
    }
    await this.gone(keyOf(kind, environment, id));
    return current;
  }

  /** Resolves once the watch has applied the write: a read right after a write sees it. */
  private seen(key: string, version: number): Promise<void> {
    return this.settled(() => (this.objects.get(key)?.version ?? 0) >= version);
  }

  private gone(key: string): Promise<void> {
    return this.settled(() => !this.objects.has(key));
  }

  /** Polls the watch's map for at most 5 s. */
  private async settled(done: () => boolean): Promise<void> {
    for (let waited = 0; !done() && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.stopWatch?.();
  }
}

function isWrongRevision(error: unknown): boolean {
  const code = apiErrorCode(error);
  return code === 10071 || code === 10164 || /wrong last sequence/.test((error as Error).message);
}
