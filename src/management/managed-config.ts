// The running configuration is the file's objects plus those managed through the API (kept in a
// ConfigStore), validated together. Changes run one at a time, so a check and its write see the
// same state.
import { composeConfig, type LoadedConfig, type ObjectProblem } from '../config/load-config.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { Logger } from '../logger.js';
import type { ConfigStore, StoredObject } from '../store/config-store.js';

/** A stored subscription as the schema sees it. */
export function rawSubscription(object: Pick<StoredObject, 'id' | 'environment' | 'value'>): Record<string, unknown> {
  return { ...object.value, id: object.id, environment: object.environment };
}

export class ManagedConfig {
  private changes: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: ConfigStore,
    private file: LoadedConfig,
    private readonly logger: Logger,
  ) {}

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
    for (;;) {
      const result = composeConfig(this.file, managed.map(rawSubscription));
      if (result.ok) return result.config;
      const [index, problems] = [...result.problems][0]!;
      const left = managed[index]!;
      this.logger.error({ environment: left.environment, subscription: left.id, problems }, `managed subscription ${left.id} (environment ${left.environment}) does not fit the current configuration file and is not run: ${problems.map((p) => `${p.pointer || '/'} ${p.message}`).join('; ')}`);
      managed = managed.filter((_, position) => position !== index);
    }
  }

  /** The problems `value` would have as subscription `id` of `environment`, beside every other object. */
  async check(environment: string, id: string, value: Record<string, unknown>): Promise<ObjectProblem[]> {
    const others = (await this.store.list('subscription')).filter((object) => !(object.environment === environment && object.id === id));
    const result = composeConfig(this.file, [...others.map(rawSubscription), rawSubscription({ id, environment, value })]);
    return result.ok ? [] : (result.problems.get(others.length) ?? []);
  }

  /** Runs `work` after every change before it. */
  serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.changes.then(work);
    this.changes = result.catch(() => undefined);
    return result;
  }
}
