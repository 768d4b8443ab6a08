// The running configuration is the file's objects plus those managed through the API (kept in a
// ConfigStore), validated together. Changes run one at a time, so a check and its write see the
// same state.
import { composeConfig, type LoadedConfig, type ManagedMaterial, type ObjectProblem } from '../config/load-config.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { Logger } from '../logger.js';
import type { ConfigStore, StoredObject } from '../contracts/config-store.js';
import { SerialQueue } from '../util/serial-queue.js';
import { checkCertificates, KeyMaterialError, parsePrivateKey } from '../tls/key-material.js';

/** A stored subscription as the schema sees it. */
export function rawSubscription(object: Pick<StoredObject, 'id' | 'environment' | 'value'>): Record<string, unknown> {
  return { ...object.value, id: object.id, environment: object.environment };
}

export class ManagedConfig {
  private readonly changes = new SerialQueue();

  constructor(
    readonly store: ConfigStore,
    private file: LoadedConfig,
    private readonly logger: Logger,
  ) {}

  /**
   * The stored key pairs and certificates as the file's entries (paths to their PEM files). One whose
   * environment the file no longer has, or whose id the file took in that environment, is left out
   * and logged (once per composition): it stays in the store.
   */
  private async material(log = false): Promise<ManagedMaterial> {
    const { config } = this.file;
    const environments = new Set(config.environments.map((environment) => environment.id));
    const usable = (object: StoredObject, fromFile: readonly { id: string; environment: string }[]) => {
      const problem = !environments.has(object.environment) ? `its environment ${object.environment} is not in the configuration file` : fromFile.some((entry) => entry.id === object.id && entry.environment === object.environment) ? `the configuration file defines ${object.kind} ${object.id} in environment ${object.environment} too` : materialProblem(object);
      if (problem !== undefined && log) this.logger.error({ environment: object.environment, kind: object.kind, id: object.id }, `managed ${object.kind} ${object.id} (environment ${object.environment}) is not used: ${problem}`);
      return problem === undefined;
    };
    // Their PEM text stays in memory (the running configuration), never in a file under storage.dir.
    const keys = (await this.store.list('key')).filter((object) => usable(object, config.keys)).map((object) => ({
      id: object.id,
      environment: object.environment,
      usage: object.value.usage ?? 'OUTBOUND_MTLS',
      pem: { privateKey: String(object.value.privateKey), ...(typeof object.value.certificate === 'string' ? { certificate: object.value.certificate } : {}) },
    }));
    const certificates = (await this.store.list('certificate')).filter((object) => usable(object, config.certificates)).map((object) => ({ id: object.id, environment: object.environment, pem: String(object.value.certificate) }));
    return { keys, certificates };
  }

  get fileConfig(): LoadedConfig {
    return this.file;
  }

  setFile(file: LoadedConfig): void {
    this.file = file;
  }

  /**
   * File plus managed objects. A managed object the file now conflicts with (the file took its
   * id, or dropped its environment) is left out and logged; it stays in the store.
   */
  async compose(): Promise<GatewayConfig> {
    let managed = await this.store.list('subscription');
    const material = await this.material(true);
    for (;;) {
      const result = composeConfig(this.file, managed.map(rawSubscription), material);
      if (result.ok) return result.config;
      const [index, problems] = [...result.problems][0]!;
      const left = managed[index];
      const described = problems.map((p) => `${p.pointer || '/'} ${p.message}`).join('; ');
      if (left === undefined) {
        // Not a subscription's problem (the file and the material alone): run the file's objects only.
        this.logger.error({ problems }, `the objects managed through the API do not fit the configuration file and are not run: ${described}`);
        return this.fileOnly();
      }
      this.logger.error({ environment: left.environment, subscription: left.id, problems }, `managed subscription ${left.id} (environment ${left.environment}) does not fit the current configuration file and is not run: ${described}`);
      managed = managed.filter((_, position) => position !== index);
    }
  }

  /** The file alone, which was valid on its own. */
  private fileOnly(): GatewayConfig {
    const result = composeConfig(this.file, []);
    if (!result.ok) throw new Error('the configuration file no longer validates on its own');
    return result.config;
  }

  /** The problems `value` would have as subscription `id` of `environment`, beside every other object. */
  async check(environment: string, id: string, value: Record<string, unknown>): Promise<ObjectProblem[]> {
    const others = (await this.store.list('subscription')).filter((object) => !(object.environment === environment && object.id === id));
    const result = composeConfig(this.file, [...others.map(rawSubscription), rawSubscription({ id, environment, value })], await this.material());
    return result.ok ? [] : (result.problems.get(others.length) ?? []);
  }

  /** Runs `work` after every change before it. */
  serially<T>(work: () => Promise<T>): Promise<T> {
    return this.changes.run(work);
  }
}

/** What makes a stored key pair or certificate unusable (its PEM text does not parse), in words. */
function materialProblem(object: StoredObject): string | undefined {
  const { certificate, privateKey } = object.value;
  try {
    if (typeof certificate === 'string') checkCertificates(certificate, 'its certificate');
    else if (object.kind === 'certificate') return 'it has no certificate';
    if (object.kind === 'key') parsePrivateKey(String(privateKey));
    return undefined;
  } catch (error) {
    if (error instanceof KeyMaterialError) return error.message;
    throw error;
  }
}
