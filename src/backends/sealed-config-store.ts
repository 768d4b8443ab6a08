// Secret values of API-managed objects sealed at rest (management.encryptionKey): a basic-auth
// password, a signing secret, an OAuth2 client secret, credential header values and a key pair's private key are stored as
// `{"$sealed": "v1:<key id>:<iv>.<tag>.<ciphertext>"}` (AES-256-GCM), so a copied data directory or
// KV bucket is not a copied set of credentials. Everything above this wrapper sees plain values.
//
// Rotation: the new key goes in `encryptionKey`, the old one in `previousEncryptionKeys`. At start
// every object sealed with an older key (or stored plain before a key was set) is sealed again with
// the current one; then the old key can be removed. An object no configured key opens is named in
// the log and left out (it stays stored) instead of failing the start.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isSecretHeader, secretMembers } from '../config/secret-fields.js';
import type { Logger } from '../logger.js';
import { VersionConflictError, type ConfigStore, type StoreChange, type StoredKind, type StoredObject } from '../contracts/config-store.js';

interface SealingKey {
  id: string;
  key: Buffer;
}

interface Sealed {
  $sealed: string;
}

const isSealed = (value: unknown): value is Sealed => typeof value === 'object' && value !== null && typeof (value as Sealed).$sealed === 'string';

function sealingKey(secret: string): SealingKey {
  return {
    id: createHash('sha256').update(`siem-gateway key id\0${secret}`).digest('hex').slice(0, 8),
    key: createHash('sha256').update(`siem-gateway managed secrets\0${secret}`).digest(),
  };
}

class UnsealError extends Error {}

/** The paths (as member chains) of an object's secret values, each with its current value. */
function secretSlots(kind: StoredKind, value: Record<string, unknown>): { holder: Record<string, unknown>; name: string }[] {
  const slots: { holder: Record<string, unknown>; name: string }[] = [];
  const add = (holder: unknown, name: string) => {
    if (typeof holder === 'object' && holder !== null && (holder as Record<string, unknown>)[name] !== undefined) slots.push({ holder: holder as Record<string, unknown>, name });
  };
  if (kind === 'key') add(value, 'privateKey');
  if (kind !== 'subscription') return slots;
  for (const [object, member] of secretMembers) add(value[object], member);
  const headers = (value.httpEndpoint as { headers?: Record<string, unknown> } | undefined)?.headers;
  if (typeof headers === 'object' && headers !== null) for (const [name, header] of Object.entries(headers)) if (isSealed(header) || isSecretHeader(name, typeof header === 'string' ? header : null)) add(headers, name);
  return slots;
}

export class SealedConfigStore implements ConfigStore {
  private readonly current: SealingKey | undefined;
  private readonly keys: Map<string, SealingKey>;
  /** Objects no configured key opens: named once, left out of every listing. */
  private readonly unopenable = new Set<string>();

  private constructor(
    private readonly inner: ConfigStore,
    encryptionKey: string | undefined,
    previousKeys: readonly string[],
    private readonly logger: Logger,
  ) {
    this.current = encryptionKey === undefined ? undefined : sealingKey(encryptionKey);
    this.keys = new Map([...(this.current === undefined ? [] : [this.current]), ...previousKeys.map(sealingKey)].map((key) => [key.id, key]));
  }

  /** Wraps `inner`, sealing again with the current key whatever is plain or sealed with an older one. */
  static async open(inner: ConfigStore, settings: { encryptionKey?: string; previousEncryptionKeys: readonly string[] }, logger: Logger): Promise<SealedConfigStore> {
    const store = new SealedConfigStore(inner, settings.encryptionKey, settings.previousEncryptionKeys, logger);
    let resealed = 0;
    for (const kind of ['subscription', 'key', 'certificate'] as const) {
      for (const object of await inner.list(kind)) {
        const opened = store.open(object);
        if (opened === undefined || store.current === undefined) continue;
        if (!store.needsResealing(object)) continue;
        try {
          await inner.put(kind, object.environment, object.id, store.seal(kind, opened.value), object.version);
          resealed++;
        } catch (error) {
          // Another gateway on the same bucket changed (or resealed) it first.
          if (!(error instanceof VersionConflictError)) throw error;
        }
      }
    }
    if (resealed > 0) logger.info({ objects: resealed }, `${resealed} managed objects had their secrets sealed again with the current management.encryptionKey`);
    if (store.current === undefined && (await inner.list('subscription')).some((object) => secretSlots('subscription', object.value).length > 0)) {
      logger.warn('management.encryptionKey is not set: secrets sent through the management API are stored unencrypted under storage.dir');
    }
    return store;
  }

  async list(kind: StoredKind): Promise<StoredObject[]> {
    return (await this.inner.list(kind)).flatMap((object) => this.open(object) ?? []);
  }

  async get(kind: StoredKind, environment: string, id: string): Promise<StoredObject | undefined> {
    const object = await this.inner.get(kind, environment, id);
    return object === undefined ? undefined : this.open(object);
  }

  async put(kind: StoredKind, environment: string, id: string, value: Record<string, unknown>, expectedVersion?: number): Promise<StoredObject> {
    const stored = await this.inner.put(kind, environment, id, this.seal(kind, value), expectedVersion);
    this.unopenable.delete(`${kind}/${environment}/${id}`);
    return { ...stored, value };
  }

  delete(kind: StoredKind, environment: string, id: string, expectedVersion?: number): Promise<StoredObject | undefined> {
    return this.inner.delete(kind, environment, id, expectedVersion);
  }

  watch(listener: (change: StoreChange) => void): () => void {
    return this.inner.watch((change) => {
      const object = this.open(change.object);
      if (object !== undefined) listener({ ...change, object });
    });
  }

  private seal(kind: StoredKind, value: Record<string, unknown>): Record<string, unknown> {
    if (this.current === undefined) return value;
    const copy = structuredClone(value);
    for (const { holder, name } of secretSlots(kind, copy)) {
      if (typeof holder[name] !== 'string') continue;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      const ciphertext = Buffer.concat([cipher.update(holder[name], 'utf8'), cipher.final()]);
      holder[name] = { $sealed: `v1:${this.current.id}:${iv.toString('base64')}.${cipher.getAuthTag().toString('base64')}.${ciphertext.toString('base64')}` } satisfies Sealed;
    }
    return copy;
  }

  private needsResealing(object: StoredObject): boolean {
    return secretSlots(object.kind, object.value).some(({ holder, name }) => !isSealed(holder[name]) || !holder[name].$sealed.startsWith(`v1:${this.current!.id}:`));
  }

  /** The object with its secrets opened; undefined (named once in the log) when no key opens one. */
  private open(object: StoredObject): StoredObject | undefined {
    const copy = structuredClone(object);
    try {
      for (const { holder, name } of secretSlots(object.kind, copy.value)) {
        const value = holder[name];
        if (isSealed(value)) holder[name] = this.unseal(value);
      }
      return copy;
    } catch (error) {
      if (!(error instanceof UnsealError)) throw error;
      const key = `${object.kind}/${object.environment}/${object.id}`;
      if (!this.unopenable.has(key)) this.logger.error({ kind: object.kind, environment: object.environment, id: object.id }, `managed ${object.kind} ${object.id} (environment ${object.environment}) is not used: ${error.message}`);
      this.unopenable.add(key);
      return undefined;
    }
  }

  private unseal({ $sealed }: Sealed): string {
    const match = /^v1:([0-9a-f]{8}):([A-Za-z0-9+/=]+)\.([A-Za-z0-9+/=]+)\.([A-Za-z0-9+/=]*)$/.exec($sealed);
    if (match === null) throw new UnsealError('a sealed secret is damaged');
    const key = this.keys.get(match[1]!);
    if (key === undefined) throw new UnsealError(`its secrets are sealed with a key that is neither management.encryptionKey nor in previousEncryptionKeys (key id ${match[1]})`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(match[2]!, 'base64'));
      decipher.setAuthTag(Buffer.from(match[3]!, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(match[4]!, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new UnsealError('a sealed secret does not open with its key (damaged or altered)');
    }
  }
}
