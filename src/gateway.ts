// The running gateway, and its composition root: start() opens storage, builds the pipelines,
// starts the listeners and then supervises (new configurations applied live, changes made through
// other gateways followed); stop() closes them in the reverse order.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { registerAdminRoutes } from './admin/admin-routes.js';
import { adminBodyLimitBytes } from './admin/admin-errors.js';
import type { Readiness } from './admin/health-routes.js';
import { TokenAuthenticator } from './auth/token-authenticator.js';
import { openBackend } from './backends/index.js';
import type { GatewayConfig, Subscription } from './config/gateway-config.js';
import type { LoadedConfig } from './config/load-config.js';
import type { StoreChange } from './contracts/config-store.js';
import type { StorageBackend } from './contracts/storage-backend.js';
import { registerEventsRoute, type IngestSettings } from './ingest/events-route.js';
import { rejectReasons } from './ingest/ingest-error.js';
import { registerJwksRoute } from './ingest/jwks-route.js';
import type { Logger } from './logger.js';
import { ManagedConfig } from './management/managed-config.js';
import { ReplayJobs } from './management/replay-jobs.js';
import { testSend } from './management/test-send.js';
import { setOwnListeners } from './network/own-listeners.js';
import { DeliveryLog } from './observability/delivery-log.js';
import { GatewayMetrics } from './observability/metrics.js';
import type { Delivery } from './pipeline/delivery.js';
import { startDelivery } from './pipeline/start-delivery.js';
import { transportFactory } from './pipeline/transport-factory.js';
import { boundAddress, boundListener, createListener, listen } from './server/create-listener.js';
import { claimStorageDir, removePidFile } from './server/storage-dir.js';
import { registerSourceRoutes } from './sources/source-route.js';

export class Gateway {
  private stopping = false;
  readonly journal: StorageBackend['journal'];
  /** The configuration the listeners and the journal were bound with. */
  private readonly started: GatewayConfig;
  readonly jobs: ReplayJobs;
  private auth: TokenAuthenticator;
  private ingestSettings: IngestSettings;

  private constructor(
    private config: GatewayConfig,
    private readonly logger: Logger,
    private readonly backend: StorageBackend,
    readonly metrics: GatewayMetrics,
    private readonly delivery: Delivery,
    private readonly deliveryLog: DeliveryLog,
    private readonly ingest: FastifyInstance,
    private readonly admin: FastifyInstance,
    readonly managed: ManagedConfig,
  ) {
    this.started = config;
    this.journal = backend.journal;
    this.jobs = new ReplayJobs({
      transports: () => transportFactory(this.config, logger),
      deadLetters: backend.deadLetters,
      logger,
      metrics,
      onAttempt: (report) => deliveryLog.record(report),
      mask: (text) => deliveryLog.masked(text),
    });
    this.auth = new TokenAuthenticator(config.auth.tokens);
    this.ingestSettings = this.settingsFor(config);
  }

  /** Opens storage, builds the pipelines, starts the listeners, then keeps them in step with every change. */
  static async start(loaded: LoadedConfig, logger: Logger): Promise<Gateway> {
    // 1. Storage: the backend takes storage.dir's lock; then this process's files there.
    const metrics = new GatewayMetrics();
    setOwnListeners([loaded.config.server.ingest.address, loaded.config.server.admin.address].filter((address) => address.port !== 0));
    const backend = await openBackend(loaded.config, logger, metrics);
    const { journal, deadLetters } = backend;
    const pidFile = claimStorageDir(loaded.config.storage.dir, logger);
    // 2. The running configuration: the file's objects and the store's, validated as one.
    const managed = new ManagedConfig(backend.store, loaded, logger);
    const config = await managed.compose();
    metrics.observeJournal(() => journal.stats());
    metrics.initIngest(config.environments.map((environment) => environment.id), rejectReasons);
    metrics.initSources(config.sources.map((source) => source.id));
    const deliveryLog = new DeliveryLog(logger);
    deliveryLog.configure(config);
    let delivery: Delivery | undefined;
    let ingest: FastifyInstance | undefined;
    let admin: FastifyInstance | undefined;
    try {
      // 3. The pipelines, where the backend and server.deliveryThread say.
      delivery = await startDelivery(backend, { journal, deadLetters, logger, metrics, deliveryLog }, config);
      const pipelines = delivery;
      // 4. The listeners and their routes.
      ingest = createListener(config.server.ingest, config.server, (reason) => metrics.ingestRejected.inc({ reason }));
      admin = createListener(config.server.admin, config.server, undefined, adminBodyLimitBytes);
      const gateway = new Gateway(config, logger, backend, metrics, delivery, deliveryLog, ingest, admin, managed);
      // With a shared store, a change made through another gateway arrives here: applied the same way.
      if (backend.ownership) backend.store.watch((change) => void gateway.changedElsewhere(change));
      registerEventsRoute(ingest, { settings: () => gateway.ingestSettings, journal, metrics, logger });
      registerJwksRoute(ingest, { config: () => gateway.config, logger });
      registerSourceRoutes(ingest, { sources: () => gateway.config.sources, limitBytes: () => gateway.ingestSettings.limitBytes, journal, metrics, logger, dir: join(loaded.config.storage.dir, 'sources') });
      registerAdminRoutes(admin, {
        metrics,
        readiness: () => gateway.readiness(),
        metricsAccess: () => ({ auth: gateway.auth, public: gateway.config.metrics.public, sources: gateway.config.sources }),
        management: {
          managed,
          logger,
          auth: () => gateway.auth,
          running: () => gateway.config,
          applyManaged: () => gateway.applyManaged(),
          forget: (id) => gateway.forget(id),
          status: (subscription) => gateway.subscriptionStatus(subscription),
          retryNow: (id) => pipelines.retryNow(id),
          testSend: (subscription) => gateway.testSend(subscription),
          deadLetters,
          jobs: gateway.jobs,
          journalRange: async (fromMs, toMs) => ({ fromSeq: (await journal.seqBefore(fromMs)) + 1, toSeq: await journal.seqBefore(toMs + 1), source: journal }),
        },
      });
      await listen(ingest, config.server.ingest.address, 'ingest');
      await listen(admin, config.server.admin.address, 'admin');
      // No destination may be the gateway itself: the policy learns the bound ports (and the delivery thread with them).
      setOwnListeners([ingest, admin].map(boundListener));
      // 5. Supervision: deliver, with the bound ports known.
      await delivery.apply(config);
      logger.info({ ...gateway.addresses(), subscriptions: config.subscriptions.length }, 'listening');
      return gateway;
    } catch (error) {
      await Promise.allSettled([ingest?.close(), admin?.close()]);
      await delivery?.stop();
      removePidFile(pidFile);
      await backend.close();
      deliveryLog.close();
      throw error;
    }
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
   * settings are bound at start: a change there is logged and takes effect after a restart.
   */
  async apply(file: LoadedConfig): Promise<void> {
    await this.managed.serially(async () => {
      this.managed.setFile(file);
      await this.run(await this.managed.compose(), 'configuration reloaded');
    });
  }

  /** After a change through the API: the file as it was, with the store's objects as they are now. */
  async applyManaged(): Promise<void> {
    await this.run(await this.managed.compose(), 'configuration applied');
  }

  private async run(next: GatewayConfig, done: string): Promise<void> {
    // Compared with what is bound (the configuration the gateway started with), not with the
    // previous file: a reload that restores the bound value is not a change.
    const boundValues = (config: GatewayConfig) => ({
      'server.ingest.listen': config.server.ingest.listen,
      'server.admin.listen': config.server.admin.listen,
      'server.ingest.tls': config.server.ingest.tls,
      'server.admin.tls': config.server.admin.tls,
      'server.maxConnections': config.server.maxConnections,
      'server.headersTimeoutMs': config.server.headersTimeoutMs,
      'server.requestTimeoutMs': config.server.requestTimeoutMs,
      'server.deliveryThread': config.server.deliveryThread,
      storage: config.storage,
      'management.encryptionKey': [config.management.encryptionKey, config.management.previousEncryptionKeys],
    });
    const running = boundValues(this.started);
    for (const [key, value] of Object.entries(boundValues(next))) {
      if (JSON.stringify(value) !== JSON.stringify(running[key as keyof typeof running])) this.logger.warn({ key }, `${key} differs from the value the gateway runs with; it takes effect after a restart`);
    }
    this.metrics.initIngest(next.environments.map((environment) => environment.id), rejectReasons);
    this.metrics.initSources(next.sources.map((source) => source.id));
    this.logger.level = next.logging.level;
    await this.delivery.apply(next);
    // The delivery thread forgets a removed subscription's series; these are the ones counted here (drops).
    const kept = new Set(next.subscriptions.map((subscription) => subscription.id));
    for (const { id, environment } of this.config.subscriptions) if (!kept.has(id)) this.metrics.removeSubscription(environment, id);
    this.deliveryLog.configure(next);
    this.auth = new TokenAuthenticator(next.auth.tokens);
    this.ingestSettings = this.settingsFor(next);
    this.config = next;
    this.logger.info({ subscriptions: next.subscriptions.length, environments: next.environments.length }, done);
  }

  /** A change another gateway made to the shared store: the running configuration follows. */
  private async changedElsewhere({ object }: StoreChange): Promise<void> {
    try {
      await this.managed.serially(() => this.applyManaged());
    } catch (error) {
      this.logger.error({ err: error, kind: object.kind, id: object.id }, `a change to ${object.kind} ${object.id} made through another gateway could not be applied: ${(error as Error).message}`);
    }
  }

  /** A deleted subscription leaves nothing behind: its cursor file and its dead letters. */
  async forget(id: string): Promise<void> {
    await this.journal.removeCursor(id);
    await this.backend.deadLetters.remove(id);
  }

  /** POST …/subscriptions/{id}/test. */
  testSend(subscription: Subscription): Promise<Record<string, unknown>> {
    return testSend(subscription, { config: this.config, journal: this.journal, logger: this.logger, mask: (text) => this.deliveryLog.masked(text) });
  }

  /** GET …/subscriptions/{id}/status. */
  async subscriptionStatus(subscription: Subscription): Promise<Record<string, unknown>> {
    const { state, status, lastAttempt, recentAttempts, deliveredLastMinute } = await this.delivery.status(subscription.id);
    const { letters, unreadable } = await this.backend.deadLetters.list(subscription.id);
    const owner = this.delivery.ownership?.().owners[subscription.id];
    return {
      id: subscription.id,
      environment: subscription.environment,
      state,
      ...(owner === undefined ? {} : { owner }),
      backlogEvents: status?.backlogEvents ?? 0,
      oldestUndeliveredAgeSeconds: status?.oldestUndeliveredAt === undefined ? 0 : Math.max(0, Date.now() - status.oldestUndeliveredAt) / 1000,
      ...(lastAttempt === undefined ? {} : { lastAttempt }),
      recentAttempts,
      deliveredLastMinute,
      deadLetters: letters.length + unreadable,
    };
  }

  private settingsFor(config: GatewayConfig): IngestSettings {
    return { auth: this.auth, environments: new Set(config.environments.map((environment) => environment.id)), limitBytes: config.server.maxBodyKB * 1024 };
  }

  async readiness(): Promise<Readiness> {
    const subscriptions = this.config.subscriptions;
    // Without the delivery thread (it is restarting), every subscription is failing.
    const states = await this.delivery.states(subscriptions.map((subscription) => subscription.id)).catch(() => subscriptions.map(() => 'failing' as const));
    const ownership = this.delivery.ownership?.();
    const journal = this.journal.stats();
    const reason = this.stopping ? 'stopping' : journal.failed ? (journal.failure ?? 'journal unavailable') : undefined;
    return {
      ready: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
      ...(ownership === undefined ? {} : { process: ownership.process }),
      subscriptions: subscriptions.map((subscription, i) => ({ id: subscription.id, environment: subscription.environment, state: states[i]!, ...(ownership?.owners[subscription.id] === undefined ? {} : { owner: ownership.owners[subscription.id] }) })),
    };
  }

  /** Stops accepting, lets in-flight requests finish, then closes the journal. Bounded by the caller. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.ingest.close(), this.admin.close()]);
    await this.delivery.stop();
    await this.jobs.stopAll();
    removePidFile(join(this.started.storage.dir, 'gateway.pid'));
    await this.backend.close();
    this.deliveryLog.close();
  }

  /** SIGHUP: log files are reopened whether or not the new configuration is good (logrotate). */
  reopenLogs(): void {
    this.deliveryLog.reopen();
    this.delivery.reopenLogs();
  }
}
