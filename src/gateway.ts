// The running gateway: owns the listeners, the journal, the metrics and the current
// configuration, applies new configurations live, and stops in order.
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { formatters } from '../formats/index.js';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { ListenerAddress } from './network/destination-policy.js';
import { setOwnListeners } from './network/own-listeners.js';
import { registerHealthRoutes, type Readiness } from './admin/health-routes.js';
import { registerMetricsRoute } from './admin/metrics-route.js';
import { TokenAuthenticator } from './auth/token-authenticator.js';
import type { GatewayConfig, Subscription } from './config/gateway-config.js';
import { registerAdminBodyParser } from './admin/admin-body.js';
import { adminBodyLimitBytes, registerAdminErrors } from './admin/admin-errors.js';
import { registerConsoleRoutes } from './admin/console-route.js';
import { registerKeyRoutes } from './admin/key-routes.js';
import { collectRoutes, registerOpenApiRoute } from './admin/openapi.js';
import { registerSubscriptionRoutes, type SubscriptionAdmin } from './admin/subscription-routes.js';
import type { LoadedConfig } from './config/load-config.js';
import { ManagedConfig } from './management/managed-config.js';
import { ReplayJobs } from './management/replay-jobs.js';
import type { StoreChange } from './contracts/config-store.js';
import { openBackend } from './backends/index.js';
import type { StorageBackend } from './contracts/storage-backend.js';
import { registerEventsRoute, type IngestSettings } from './ingest/events-route.js';
import { registerJwksRoute } from './ingest/jwks-route.js';
import { rejectReasons } from './ingest/ingest-error.js';
import { registerSourceRoutes } from './sources/source-route.js';
import type { Logger } from './logger.js';
import { DeliveryLog } from './observability/delivery-log.js';
import { GatewayMetrics } from './observability/metrics.js';
import { responseSummary, shownResponseChars } from './observability/response-summary.js';
import type { DeadLetterArchive } from './contracts/dead-letters.js';
import type { Delivery } from './pipeline/delivery.js';
import { startDelivery } from './pipeline/start-delivery.js';
import { SubscriptionPipeline } from './pipeline/subscription-pipeline.js';
import type { SendResult } from './contracts/transport.js';
import { transportFactory } from './pipeline/transport-factory.js';
import { boundAddress, createListener } from './server/create-listener.js';
import { privateFileMode, tightenModes } from './util/private-modes.js';

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
    private readonly deadLetters: DeadLetterArchive,
  ) {
    this.started = config;
    this.journal = backend.journal;
    this.jobs = new ReplayJobs({
      transports: () => transportFactory(this.config, logger),
      deadLetters,
      logger,
      metrics,
      onAttempt: (report) => deliveryLog.record(report),
      mask: (text) => deliveryLog.masked(text),
    });
    this.auth = new TokenAuthenticator(config.auth.tokens);
    this.ingestSettings = this.settingsFor(config);
  }

  static async start(loaded: LoadedConfig, logger: Logger): Promise<Gateway> {
    const metrics = new GatewayMetrics();
    setOwnListeners([loaded.config.server.ingest.address, loaded.config.server.admin.address].filter((address) => address.port !== 0));
    const storageDir = loaded.config.storage.dir;
    const backend = await openBackend(loaded.config, logger, metrics);
    const { journal } = backend;
    tightenModes(storageDir, logger);
    // For logrotate and init scripts: `kill -HUP "$(cat <storage.dir>/gateway.pid)"`. The journal's
    // lock guarantees this process owns storage.dir.
    const pidFile = join(storageDir, 'gateway.pid');
    writeFileSync(pidFile, `${process.pid}\n`, { mode: privateFileMode });
    // Subscriptions managed through the API join the file's: the running configuration is both.
    removeOldKeyFiles(join(storageDir, 'managed'), logger);
    const managed = new ManagedConfig(backend.store, loaded, logger);
    const config = await managed.compose();
    metrics.observeJournal(() => journal.stats());
    metrics.initIngest(config.environments.map((environment) => environment.id), rejectReasons);
    metrics.initSources(config.sources.map((source) => source.id));
    const deliveryLog = new DeliveryLog(logger);
    deliveryLog.configure(config);
    const deadLetters = backend.deadLetters;
    let delivery: Delivery | undefined;
    let ingest: FastifyInstance | undefined;
    let admin: FastifyInstance | undefined;
    try {
      delivery = await startDelivery(backend, { journal, deadLetters, logger, metrics, deliveryLog }, config);
      const pipelines = delivery;
      ingest = createListener(config.server.ingest, config.server, (reason) => metrics.ingestRejected.inc({ reason }));
      admin = createListener(config.server.admin, config.server, undefined, adminBodyLimitBytes);
      const gateway = new Gateway(config, logger, backend, metrics, delivery, deliveryLog, ingest, admin, managed, deadLetters);
      // With a shared store, a change made through another gateway arrives here: applied the same way.
      if (backend.ownership) backend.store.watch((change) => void gateway.changedElsewhere(change));
      registerEventsRoute(ingest, { settings: () => gateway.ingestSettings, journal, metrics, logger });
      registerJwksRoute(ingest, { config: () => gateway.config, logger });
      registerSourceRoutes(ingest, { sources: () => gateway.config.sources, limitBytes: () => gateway.ingestSettings.limitBytes, journal, metrics, logger, dir: join(storageDir, 'sources') });
      const adminRoutes = collectRoutes(admin);
      registerHealthRoutes(admin, () => gateway.readiness(), () => gateway.auth);
      registerMetricsRoute(admin, metrics, () => ({ auth: gateway.auth, public: gateway.config.metrics.public, sources: gateway.config.sources }));
      registerAdminErrors(admin, logger);
      registerAdminBodyParser(admin);
      const management: SubscriptionAdmin = {
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
      };
      registerSubscriptionRoutes(admin, management);
      registerKeyRoutes(admin, management);
      registerOpenApiRoute(admin, adminRoutes);
      registerConsoleRoutes(admin);
      await listen(ingest, config.server.ingest.address, 'ingest');
      await listen(admin, config.server.admin.address, 'admin');
      // No destination may be the gateway itself: the policy learns the bound ports (and the delivery thread with them).
      setOwnListeners([ingest, admin].map(boundListener));
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
    await this.deadLetters.remove(id);
  }

  /** POST …/subscriptions/{id}/test: one synthetic event now, on a connection of its own. */
  async testSend(subscription: Subscription): Promise<Record<string, unknown>> {
    const transports = transportFactory(this.config, this.logger);
    const signingKey = transports.signingKey(subscription);
    const transport = transports.create(subscription);
    try {
      const event = { id: `siem-gateway-test-${randomUUID()}`, recordedAt: new Date().toISOString(), action: { type: 'SIEM_GATEWAY.TEST', description: 'Test event from siem-gateway' }, result: { status: 'SUCCESS' } };
      const pipeline = new SubscriptionPipeline({ subscription, journal: this.journal, transport, signingKey, formatter: formatters[subscription.format], logger: this.logger });
      const batch = pipeline.encodeRecords([{ seq: 0, environment: subscription.environment, receivedAt: Date.now(), event }]);
      const started = performance.now();
      const result = await transport.send(batch, AbortSignal.timeout(subscription.delivery.timeoutMs + 1000)).catch((error: unknown): SendResult => ({ ok: false, error: (error as Error).message }));
      const latencyMs = Math.round(performance.now() - started);
      const tls = await transport.tlsDetails?.();
      const mask = (text: string) => this.deliveryLog.masked(text);
      return {
        eventId: event.id,
        delivered: result.ok,
        ...(result.status === undefined ? {} : { status: result.status }),
        latencyMs,
        // A bounded, masked summary, never the whole answer: a test-send is not a way to read other services.
        ...(result.bodyExcerpt === undefined ? {} : { response: responseSummary(result.bodyExcerpt, mask, shownResponseChars) }),
        ...(result.error === undefined ? {} : { error: mask(result.error) }),
        ...(tls === undefined ? {} : { tls: tls.error === undefined ? tls : { ...tls, error: mask(tls.error) } }),
      };
    } finally {
      await transport.close();
    }
  }

  /** GET …/subscriptions/{id}/status. */
  async subscriptionStatus(subscription: Subscription): Promise<Record<string, unknown>> {
    const { state, status, lastAttempt, recentAttempts, deliveredLastMinute } = await this.delivery.status(subscription.id);
    const { letters, unreadable } = await this.deadLetters.list(subscription.id);
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
    return {
      ready: !this.stopping && !this.journal.stats().failed,
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

function boundListener(server: FastifyInstance): ListenerAddress {
  const address = server.server.address() as AddressInfo;
  return { host: address.address, port: address.port };
}

/** Earlier versions also wrote managed key pairs as PEM files under storage.dir: plaintext private keys. */
function removeOldKeyFiles(dir: string, logger: Logger): void {
  for (const name of ['keys', 'certificates']) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    rmSync(path, { recursive: true, force: true });
    logger.info({ path }, `removed ${path}: managed key pairs and certificates are kept in the store only`);
  }
}

function removePidFile(file: string): void {
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
  } catch {
    // already gone
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
