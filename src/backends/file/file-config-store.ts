// The embedded ConfigStore: every managed object in one JSON file under storage.dir, replaced
// atomically (temp file, fsync, rename, directory fsync) on each change, and read back on start.
// Writes run one after another, so a version check and its write cannot interleave.
import { readFileSync, renameSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/fsync-dir.js';
import type { Logger } from '../../logger.js';
import { SerialQueue } from '../../util/serial-queue.js';
import { VersionConflictError, type ConfigStore, type StoreChange, type StoredKind, type StoredObject } from '../../contracts/config-store.js';
import { privateDirectoryMode } from '../../util/private-modes.js';

const key = (kind: StoredKind, environment: string, id: string) => `${kind}/${environment}/${id}`;

export class FileConfigStore implements ConfigStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private readonly writes = new SerialQueue();

  /** The last version given to any object: versions (ETags) never repeat, even for an object deleted and created again. */
  private revision = 0;

  private constructor(private readonly file: string) {}

  /**
   * Opens `<dir>/managed.json`. Whatever it holds, the gateway starts: a file that does not parse is
   * moved aside (and named in the log), an entry that is not a stored object is left out and named.
   */
  static async open(dir: string, logger: Logger): Promise<FileConfigStore> {
    await mkdir(dir, { recursive: true, mode: privateDirectoryMode });
    const store = new FileConfigStore(join(dir, 'managed.json'));
    let text: string | undefined;
    try {
      text = readFileSync(store.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === undefined) return store;
    let parsed: { revision?: unknown; objects?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch (error) {
      const aside = `${store.file}.damaged-${Date.now()}`;
      renameSync(store.file, aside);
      logger.error({ file: store.file, savedAs: aside }, `${store.file} cannot be parsed (${(error as Error).message}); it was moved to ${aside} and the gateway starts without API-managed objects. Restore them from that file or a backup`);
      return store;
    }
    const objects = Array.isArray(parsed.objects) ? (parsed.objects as unknown[]) : [];
    objects.forEach((object, index) => {
      // Versions of left-out entries count too: none is given again.
      const version = (object as { version?: unknown } | null)?.version;
      if (typeof version === 'number' && Number.isSafeInteger(version)) store.revision = Math.max(store.revision, version);
      const problem = storedObjectProblem(object);
      if (problem !== undefined) {
        logger.error({ file: store.file, index }, `${store.file}: objects[${index}] is left out: ${problem}`);
        return;
      }
      const stored = object as StoredObject;
      const name = key(stored.kind, stored.environment, stored.id);
      if (store.objects.has(name)) logger.error({ file: store.file, index, kind: stored.kind, environment: stored.environment, id: stored.id }, `${store.file}: objects[${index}] repeats ${stored.kind} ${stored.id} of environment ${stored.environment}; the last one is kept`);
      store.objects.set(name, stored);
    });
    if (typeof parsed.revision === 'number' && Number.isSafeInteger(parsed.revision)) store.revision = Math.max(store.revision, parsed.revision);
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
      const object: StoredObject = { kind, environment, id, value, version: this.revision + 1 };
      await this.save(new Map(this.objects).set(key(kind, environment, id), object), object.version);
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
      await this.save(next, this.revision);
      this.notify({ operation: 'delete', object: current });
      return current;
    });
  }

  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Durable first, then visible: a failed write changes nothing. */
  private async save(next: Map<string, StoredObject>, revision: number): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify({ revision, objects: [...next.values()] }, null, 1)}\n`);
    this.revision = revision;
    this.objects.clear();
    for (const [name, object] of next) this.objects.set(name, object);
  }

  private notify(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

const kinds: readonly string[] = ['subscription', 'key', 'certificate'];
const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What makes an entry of managed.json unusable, in words; undefined when it is a stored object. */
function storedObjectProblem(object: unknown): string | undefined {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return 'it is not an object';
  const { kind, environment, id, value, version } = object as Record<string, unknown>;
  if (typeof kind !== 'string' || !kinds.includes(kind)) return 'kind must be subscription, key or certificate';
  if (typeof environment !== 'string' || !idPattern.test(environment)) return 'environment is not an id';
  if (typeof id !== 'string' || !idPattern.test(id)) return 'id is not an id';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'value is not an object';
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) return 'version is not a positive integer';
  const privateKey = (value as Record<string, unknown>).privateKey;
  if (kind === 'key' && typeof privateKey !== 'string' && typeof (privateKey as { $sealed?: unknown } | undefined)?.$sealed !== 'string') return 'a key without its privateKey';
  if (kind === 'certificate' && typeof (value as Record<string, unknown>).certificate !== 'string') return 'a certificate without its PEM text';
  return undefined;
}
