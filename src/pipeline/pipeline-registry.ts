// One SubscriptionPipeline per enabled subscription, kept in step with the configuration: new
// subscriptions start, removed or disabled ones stop (a disabled one keeps its cursor, so its
// events wait in the journal), changed ones restart from their cursor. It also supervises them:
// a pipeline that stops on an unexpected failure is `failing` and restarts from its cursor, after
// 1 s, doubling to 60 s while the failures go on.
import { formatters } from '../../formats/index.js';
import type { Subscription } from '../config/gateway-config.js';
import type { Journal, JournalStats } from '../contracts/journal.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics, SubscriptionStatus } from '../observability/metrics.js';
import type { Clock } from '../util/clock.js';
import type { DeadLetterSink } from '../contracts/dead-letters.js';
import type { AttemptOutcome, AttemptReport } from '../contracts/transport.js';
import { SubscriptionPipeline } from './subscription-pipeline.js';
import type { TransportFactory } from './transport-factory.js';
import type { Transport } from '../contracts/transport.js';
import type { SigningKey } from '../tls/signing-key.js';

export interface RegistryOptions {
  journal: Journal;
  transports: TransportFactory;
  deadLetters?: DeadLetterSink;
  maxAgeMs?: number;
  onAttempt?: (report: AttemptReport) => void;
  mask?: (text: string) => string;
  logger: Logger;
  metrics?: GatewayMetrics;
  clock?: Clock;
}

interface Running {
  subscription: Subscription;
  pipeline: SubscriptionPipeline;
  transport: Transport;
  signingKey: SigningKey | undefined;
  /** The configuration it runs with, to tell a changed subscription from an unchanged one. */
  fingerprint: string;
  /** Set from an unexpected failure until a restarted pipeline has run `healthyAfterMs`. */
  failing?: Failing;
  /** The last sign of progress (an attempt, a cursor move, nothing to deliver), for the stall watchdog. */
  progress: { at: number; cursor: number | undefined; stalled: boolean };
}

interface Failing {
  since: number;
  /** Failures in a row: the restart delay doubles with each. */
  count: number;
  /** The oldest event held when it failed (it stays undelivered until the restart). */
  oldestUndeliveredAt: number | undefined;
  timer?: NodeJS.Timeout;
}

const restartDelayMs = { first: 1_000, max: 60_000 } as const;
/** A restarted pipeline that runs this long without failing has recovered. */
const healthyAfterMs = 5_000;
/** Events waiting and no attempt, no cursor move, no failure for this long (plus flushMs and the timeout): stalled. With the defaults (2 s, 30 s) that is 52 s, checked every 5 s: within a minute. */
const stallBaseMs = 20_000;
const stallCheckMs = 5_000;

export interface LastAttempt {
  time: string;
  status?: number;
  outcome: AttemptOutcome;
  error?: string;
  events: number;
}

/**
 * `failing` after an unexpected failure until a restart holds; `retrying` while its destination
 * keeps failing; `stalled` when events wait and nothing happens, with no error to say why (a bug:
 * never only silence); `elsewhere` when another gateway sharing the JetStream journal delivers it.
 */
export type SubscriptionState = 'ok' | 'retrying' | 'failing' | 'stalled' | 'suspended' | 'elsewhere';

/** What the status route shows of one subscription's delivery. */
export interface DeliveryStatus {
  state: SubscriptionState;
  status: SubscriptionStatus | undefined;
  lastAttempt?: LastAttempt;
  recentAttempts: LastAttempt[];
  deliveredLastMinute: number;
}

/** Attempts kept per subscription for the status route. */
const recentAttempts = 20;

export class PipelineRegistry {
  private readonly running = new Map<string, Running>();
  private readonly activity = new Map<string, { last?: LastAttempt; recent: LastAttempt[]; delivered: { at: number; events: number }[] }>();
  private configured: readonly Subscription[] = [];

  private readonly watchdog: NodeJS.Timeout;

  constructor(private readonly options: RegistryOptions) {
    // Checked on a timer too, so a stall is logged within a minute even when nobody asks.
    this.watchdog = setInterval(() => this.checkStalls(), stallCheckMs);
    this.watchdog.unref();
  }

  /** Brings the running pipelines in line with `subscriptions` (built by `transports`, which may be new). */
  async apply(subscriptions: readonly Subscription[], transports?: TransportFactory): Promise<void> {
    if (transports) this.options.transports = transports;
    const wanted = new Map(subscriptions.filter((subscription) => subscription.enabled).map((subscription) => [subscription.id, subscription]));
    for (const [id, current] of this.running) {
      const next = wanted.get(id);
      if (next === undefined || this.options.transports.fingerprint(next) !== current.fingerprint) await this.stopOne(id, current);
    }
    // A removed subscription stops holding events against retention; its cursor file stays for a re-add.
    const ids = new Set(subscriptions.map((subscription) => subscription.id));
    for (const { id, environment } of this.configured) {
      if (ids.has(id)) continue;
      this.options.journal.releaseCursor(id);
      this.options.metrics?.removeSubscription(environment, id);
      this.activity.delete(id);
    }
    this.configured = subscriptions;
    for (const subscription of subscriptions) {
      // Every configured subscription holds its cursor, enabled or not (a suspended one accumulates).
      await this.options.journal.openCursor(subscription.id, subscription.environment, subscription.startAt);
      if (subscription.enabled && !this.running.has(subscription.id)) await this.startOne(subscription);
    }
  }

  private async startOne(subscription: Subscription): Promise<void> {
    let transport: Transport;
    let signingKey: SigningKey | undefined;
    try {
      signingKey = this.options.transports.signingKey(subscription);
      transport = this.options.transports.create(subscription);
    } catch (error) {
      // Its cursor stays open, so its events wait in the journal until it can run.
      this.options.logger.error({ subscription: subscription.id, err: error }, `subscription ${subscription.id} cannot start: ${(error as Error).message}; its events are kept`);
      return;
    }
    this.options.metrics?.initSubscription(subscription.environment, subscription.id);
    const running: Running = { subscription, pipeline: this.pipelineFor(subscription, transport, signingKey), transport, signingKey, fingerprint: this.options.transports.fingerprint(subscription), progress: { at: this.clock(), cursor: undefined, stalled: false } };
    this.running.set(subscription.id, running);
    await running.pipeline.start();
    this.options.logger.info({ subscription: subscription.id, environment: subscription.environment }, 'subscription started');
  }

  private pipelineFor(subscription: Subscription, transport: Transport, signingKey: SigningKey | undefined): SubscriptionPipeline {
    const pipeline: SubscriptionPipeline = new SubscriptionPipeline({
      ...this.options,
      subscription,
      transport,
      signingKey,
      formatter: formatters[subscription.format],
      onFailed: (error) => this.failed(subscription.id, pipeline, error),
      onAttempt: (report) => {
        this.noteAttempt(subscription.id, report);
        this.options.onAttempt?.(report);
      },
    });
    return pipeline;
  }

  /** The last attempt and a minute of deliveries, for the status route. */
  private noteAttempt(id: string, { result, batch, outcome }: AttemptReport): void {
    const now = this.clock();
    const running = this.running.get(id);
    if (running !== undefined) running.progress.at = now;
    const activity = this.activity.get(id) ?? { recent: [], delivered: [] };
    this.activity.set(id, activity);
    const error = result.error === undefined ? undefined : (this.options.mask?.(result.error) ?? result.error);
    activity.last = { time: new Date(now).toISOString(), ...(result.status === undefined ? {} : { status: result.status }), outcome, ...(error === undefined ? {} : { error }), events: batch.events };
    activity.recent = [activity.last, ...activity.recent].slice(0, recentAttempts);
    if (result.ok) activity.delivered.push({ at: now, events: batch.events });
    while (activity.delivered.length > 0 && activity.delivered[0]!.at < now - 60_000) activity.delivered.shift();
  }

  /** What the status route shows of one configured subscription. */
  status(id: string): DeliveryStatus {
    const activity = this.activity.get(id);
    const since = this.clock() - 60_000;
    const deliveredLastMinute = (activity?.delivered ?? []).filter((entry) => entry.at >= since).reduce((sum, entry) => sum + entry.events, 0);
    const configured = this.configured.find((subscription) => subscription.id === id);
    const status = configured === undefined ? undefined : this.statusOf(configured, this.options.journal.stats());
    return { state: this.state(id), status, ...(activity?.last === undefined ? {} : { lastAttempt: activity.last }), recentAttempts: activity?.recent ?? [], deliveredLastMinute };
  }

  /** Ends the subscription's backoff wait now; false when it is not waiting. */
  retryNow(id: string): boolean {
    return this.running.get(id)?.pipeline.retryNow() ?? false;
  }

  /** A pipeline stopped on an unexpected failure: `failing`, logged once, restarted with backoff. */
  private failed(id: string, pipeline: SubscriptionPipeline, error: Error): void {
    const running = this.running.get(id);
    if (running?.pipeline !== pipeline) return;
    const now = this.clock();
    const previous = running.failing;
    const count = previous === undefined ? 1 : previous.count + 1;
    const delayMs = Math.min(restartDelayMs.max, restartDelayMs.first * 2 ** (count - 1));
    clearTimeout(previous?.timer);
    running.failing = { since: previous?.since ?? now, count, oldestUndeliveredAt: pipeline.oldestUndeliveredAt() ?? previous?.oldestUndeliveredAt };
    if (previous === undefined) {
      this.options.logger.error({ subscription: id, err: error }, `subscription ${id} failed: ${this.options.mask?.(error.message) ?? error.message}; it restarts from its saved cursor in ${delayMs / 1000} s, and again with backoff while it keeps failing`);
    } else {
      this.options.logger.debug({ subscription: id, err: error, failures: count }, `subscription ${id} failed again; next restart in ${delayMs / 1000} s`);
    }
    running.failing.timer = setTimeout(() => void this.restart(id, running, pipeline), delayMs);
    running.failing.timer.unref();
  }

  private async restart(id: string, running: Running, failed: SubscriptionPipeline): Promise<void> {
    if (this.running.get(id) !== running || running.pipeline !== failed) return;
    await failed.stop();
    const pipeline = this.pipelineFor(running.subscription, running.transport, running.signingKey);
    running.pipeline = pipeline;
    try {
      await pipeline.start();
    } catch (error) {
      return this.failed(id, pipeline, error as Error);
    }
    const failing = running.failing!;
    failing.timer = setTimeout(() => {
      if (running.pipeline !== pipeline || running.failing !== failing || this.running.get(id) !== running) return;
      running.failing = undefined;
      this.options.logger.info({ subscription: id, downMs: this.clock() - failing.since, restarts: failing.count }, `subscription ${id} recovered after ${failing.count} restarts; delivering again`);
    }, healthyAfterMs);
    failing.timer.unref();
  }

  private clock(): number {
    return this.options.clock?.now() ?? Date.now();
  }

  private async stopOne(id: string, current: Running): Promise<void> {
    this.running.delete(id);
    clearTimeout(current.failing?.timer);
    await current.pipeline.stop();
    await current.transport.close();
    this.options.logger.info({ subscription: id }, 'subscription stopped');
  }

  has(id: string): boolean {
    return this.running.has(id);
  }

  state(id: string): SubscriptionState {
    const running = this.running.get(id);
    if (running === undefined) return 'suspended';
    if (running.failing) return 'failing';
    if (running.pipeline.retrying) return 'retrying';
    return this.stalled(running, this.options.journal.stats()) ? 'stalled' : 'ok';
  }

  /**
   * True when events wait and nothing has happened for a while: no attempt, no cursor move, no
   * failure. Logged once each way. Failing and retrying subscriptions say so themselves.
   */
  private stalled(running: Running, stats: JournalStats): boolean {
    if (running.failing !== undefined || running.pipeline.retrying) return false;
    const { subscription, progress } = running;
    const now = this.clock();
    const cursor = stats.cursors[subscription.id];
    const backlog = backlogOf(subscription.id, stats);
    if (cursor !== progress.cursor || backlog === 0) {
      progress.cursor = cursor;
      progress.at = Math.max(progress.at, now);
      if (progress.stalled) {
        progress.stalled = false;
        this.options.logger.info({ subscription: subscription.id }, `subscription ${subscription.id} is delivering again`);
      }
      return false;
    }
    const quietMs = now - progress.at;
    if (quietMs < stallBaseMs + subscription.payloadOptions.flushMs + subscription.delivery.timeoutMs) return false;
    if (!progress.stalled) {
      progress.stalled = true;
      this.options.logger.error({ subscription: subscription.id, backlogEvents: backlog, quietMs }, `subscription ${subscription.id} is stalled: ${backlog} events wait and nothing was sent for ${Math.round(quietMs / 1000)} s, with no failure to say why; /readyz shows it as stalled and siem_gateway_delivery_stalled is 1`);
    }
    return true;
  }

  private checkStalls(): void {
    if (this.running.size === 0) return;
    const stats = this.options.journal.stats();
    for (const running of this.running.values()) this.stalled(running, stats);
  }

  /** Every configured subscription as metrics see it, suspended ones included. */
  statuses(): SubscriptionStatus[] {
    const stats = this.options.journal.stats();
    return this.configured.map((subscription) => this.statusOf(subscription, stats));
  }

  private statusOf({ id, environment }: Pick<Subscription, 'id' | 'environment'>, stats: JournalStats): SubscriptionStatus {
    const running = this.running.get(id);
    const failing = running?.failing;
    const backlogEvents = backlogOf(id, stats);
    return {
      id,
      environment,
      backlogEvents,
      // While failing, nothing is delivered: its oldest event ages from (at the latest) the failure.
      oldestUndeliveredAt: failing ? (failing.oldestUndeliveredAt ?? (backlogEvents > 0 ? failing.since : undefined)) : running?.pipeline.oldestUndeliveredAt(),
      retrying: failing !== undefined || (running?.pipeline.retrying ?? false),
      failing: failing !== undefined,
      stalled: running !== undefined && this.stalled(running, stats),
      clientCertificateExpiresAt: running?.transport.clientCertificateExpiresAt?.(),
    };
  }

  async stopAll(): Promise<void> {
    clearInterval(this.watchdog);
    await Promise.all([...this.running].map(([id, current]) => this.stopOne(id, current)));
  }
}

/** Events stored after the subscription's cursor: the journal's own count where it keeps one (JetStream), else the seqs after the cursor. */
function backlogOf(id: string, stats: JournalStats): number {
  return stats.backlog?.[id] ?? Math.max(0, stats.lastSeq - (stats.cursors[id] ?? stats.lastSeq));
}
