// The running gateway: owns the listeners and the current configuration, applies new
// configurations live, and stops in order. Later parts (journal, pipelines) hang off this object.
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { registerHealthRoutes, type Readiness } from './admin/health-routes.js';
import type { GatewayConfig } from './config/gateway-config.js';
import type { Logger } from './logger.js';
import { boundAddress, createListener } from './server/create-listener.js';

export class Gateway {
  private stopping = false;

  private constructor(
    private config: GatewayConfig,
    private readonly logger: Logger,
    private readonly ingest: FastifyInstance,
    private readonly admin: FastifyInstance,
  ) {}

  static async start(config: GatewayConfig, logger: Logger): Promise<Gateway> {
    mkdirSync(config.storage.dir, { recursive: true });
    const bodyLimit = config.server.maxBodyKB * 1024;
    const ingest = createListener(config.server.ingest, bodyLimit);
    const admin = createListener(config.server.admin, bodyLimit);
    const gateway = new Gateway(config, logger, ingest, admin);
    registerHealthRoutes(admin, () => gateway.readiness());
    try {
      await listen(ingest, config.server.ingest.address, 'ingest');
      await listen(admin, config.server.admin.address, 'admin');
    } catch (error) {
      await Promise.allSettled([ingest.close(), admin.close()]);
      throw error;
    }
    logger.info({ ...gateway.addresses(), subscriptions: config.subscriptions.length }, 'listening');
    return gateway;
  }

  /** The bound addresses, `host:port` (useful with port 0). */
  addresses(): { ingest: string; admin: string } {
    return { ingest: boundAddress(this.ingest), admin: boundAddress(this.admin) };
  }

  get configuration(): GatewayConfig {
    return this.config;
  }

  /**
   * Applies a validated configuration without a restart. Listener addresses and the storage
   * directory are bound at start: a change there is logged and takes effect after a restart.
   */
  apply(next: GatewayConfig): void {
    const previous = this.config;
    const needsRestart: string[] = [];
    if (next.server.ingest.listen !== previous.server.ingest.listen) needsRestart.push('server.ingest.listen');
    if (next.server.admin.listen !== previous.server.admin.listen) needsRestart.push('server.admin.listen');
    if (JSON.stringify(next.server.ingest.tls) !== JSON.stringify(previous.server.ingest.tls)) needsRestart.push('server.ingest.tls');
    if (JSON.stringify(next.server.admin.tls) !== JSON.stringify(previous.server.admin.tls)) needsRestart.push('server.admin.tls');
    if (next.server.maxBodyKB !== previous.server.maxBodyKB) needsRestart.push('server.maxBodyKB');
    if (next.storage.dir !== previous.storage.dir) needsRestart.push('storage.dir');
    for (const key of needsRestart) this.logger.warn({ key }, `${key} changed; it takes effect after a restart`);
    this.logger.level = next.logging.level;
    this.config = next;
    this.logger.info({ subscriptions: next.subscriptions.length, environments: next.environments.length }, 'configuration reloaded');
  }

  readiness(): Readiness {
    return {
      ready: !this.stopping,
      subscriptions: this.config.subscriptions.map((subscription) => ({
        id: subscription.id,
        environment: subscription.environment,
        state: subscription.enabled ? 'ok' : 'suspended',
      })),
    };
  }

  /** Stops accepting, then closes everything. Bounded by the caller (shutdownTimeoutMs). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.ingest.close(), this.admin.close()]);
  }
}

async function listen(server: FastifyInstance, address: { host: string; port: number }, name: string): Promise<void> {
  try {
    await server.listen({ host: address.host, port: address.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot listen on ${address.host}:${address.port} for server.${name}.listen (${code})`);
  }
}
