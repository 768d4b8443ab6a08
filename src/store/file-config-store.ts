// The embedded ConfigStore: every managed object in one JSON file under storage.dir, replaced
// atomically (temp file, fsync, rename, directory fsync) on each change, and read back on start.
// Writes run one after another, so a version check and its write cannot interleave.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../journal/fsync-dir.js';
import { SerialQueue } from '../util/serial-queue.js';
import { VersionConflictError, type ConfigStore, type StoreChange, type StoredKind, type StoredObject } from './config-store.js';

const key = (kind: StoredKind, environment: string, id: string) => `${kind}/${environment}/${id}`;

export class FileConfigStore implements ConfigStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private readonly writes = new SerialQueue();

  private constructor(private readonly file: string) {}

  /** Opens `<dir>/managed.json`; an unreadable file is an error, never silently an empty store. */
  static async open(dir: string): Promise<FileConfigStore> {
    await mkdir(dir, { recursive: true });
    const store = new FileConfigStore(join(dir, 'managed.json'));
    let text: string | undefined;
    try {
      text = readFileSync(store.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      let parsed: { objects?: StoredObject[] };
      try {
        parsed = JSON.parse(text) as { objects?: StoredObject[] };
      } catch (error) {
        throw new Error(`${store.file} cannot be parsed (${(error as Error).message}); restore it from a backup or remove it to start without API-managed objects`);
      }
      for (const object of parsed.objects ?? []) store.objects.set(key(object.kind, object.environment, object.id), object);
    }
    return store;
  }

  list(kind: StoredKind): Promise<StoredObject[]> {
    return Promise.resolve([...this.objects.values()].filter((object) => object.kind === kind));
  }

  get(kind: StoredKind, environment: string, id: string): Promise<StoredObject | undefined> {
    return Promise.resolve(this.objects.get(key(kind, environment, id)));
  }

  put(kind: StoredKind, environment: string, id: string, value: Record<string, unknown>, expectedVersion?: number): Promise<StoredObject> {
    return this.writes.run(async () => {
      const current = this.objects.get(key(kind, environment, id));
      if (expectedVersion !== undefined && current?.version !== expectedVersion) throw new VersionConflictError(current?.version);
      const object: StoredObject = { kind, environment, id, value, version: (current?.version ?? 0) + 1 };
      await this.save(new Map(this.objects).set(key(kind, environment, id), object));
      this.notify({ operation: 'put', object });
      return object;
    });
  }

  delete(kind: StoredKind, environment: string, id: string, expectedVersion?: number): Promise<StoredObject | undefined> {
    return this.writes.run(async () => {
      const current = this.objects.get(key(kind, environment, id));
      if (current === undefined) return undefined;
      if (expectedVersion !== undefined && current.version !== expectedVersion) throw new VersionConflictError(current.version);
      const next = new Map(this.objects);
      next.delete(key(kind, environment, id));
      await this.save(next);
      this.notify({ operation: 'delete', object: current });
      return current;
    });
  }

  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Durable first, then visible: a failed write changes nothing. */
  private async save(next: Map<string, StoredObject>): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify({ objects: [...next.values()] }, null, 1)}\n`);
    this.objects.clear();
    for (const [name, object] of next) this.objects.set(name, object);
  }

  private notify(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
