// The main thread's side of the delivery thread (delivery-worker.ts): starts it, carries the
// messages between the journal and its mirror there (the backend's JournalSharing), answers the
// thread's requests (dead letters, log lines) and forwards the gateway's (configuration, status,
// metrics, stop). If the thread dies, it is logged and started again; the pipelines resume from
// their saved cursors.
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { JournalSharing } from '../contracts/journal-sharing.js';
import { ownListeners } from '../network/own-listeners.js';
import { ThreadChannel } from '../util/thread-channel.js';
import type { DeadLetter } from '../contracts/dead-letters.js';
import type { Delivery, DeliveryOptions, DeliveryStatus, SubscriptionState } from './delivery.js';
import type { DeliveryWorkerData } from './delivery-worker.js';

const restartDelayMs = 1_000;

export interface DeliveryThreadOptions extends DeliveryOptions {
  sharing: JournalSharing;
}

export class DeliveryThread implements Delivery {
  private worker!: Worker;
  private channel!: ThreadChannel;
  private config!: GatewayConfig;
  private stopping = false;
  private started!: Promise<void>;

  private constructor(private readonly options: DeliveryThreadOptions) {}

  /** Starts the thread with `config`'s subscriptions running. */
  static async start(options: DeliveryThreadOptions, config: GatewayConfig): Promise<DeliveryThread> {
    const thread = new DeliveryThread(options);
    thread.config = config;
    await thread.spawn();
    options.metrics.mergeFrom(() => thread.metrics());
    return thread;
  }

  private async spawn(): Promise<void> {
    const { sharing, deadLetters, logger } = this.options;
    const start = sharing.share((name, data, transfer) => this.channel.notify('journal', { name, data }, transfer));
    const data: DeliveryWorkerData = { config: this.config, level: logger.level, journal: { module: sharing.mirrorModule, start } };
    const worker = new Worker(new URL('./delivery-worker.js', import.meta.url), { workerData: data });
    const stream = (logger as unknown as Record<symbol, { write(line: string): void }>)[pino.symbols.streamSym]!;
    let ready!: () => void;
    const online = new Promise<void>((resolve) => (ready = resolve));
    this.worker = worker;
    const channel = new ThreadChannel(worker, {
      ready: () => ready(),
      log: (line: string) => stream.write(line),
      journal: ({ name, data }: { name: string; data: unknown }) => sharing.answers[name]!(data),
      addDeadLetters: (letters: DeadLetter[]) => deadLetters.add(letters),
    });
    this.channel = channel;
    let wasOnline = false;
    const failed = new Promise<never>((_resolve, reject) => worker.once('error', reject));
    worker.on('error', (error) => logger.error({ err: error }, `the delivery thread failed: ${error.message}`));
    worker.once('exit', (code) => {
      channel.failAll(new Error('the delivery thread stopped'));
      channel.close();
      if (this.stopping || this.worker !== worker) return;
      sharing.unshare();
      // One that never came up fails the start instead (a broken install, not a passing fault).
      if (!wasOnline) return;
      logger.error({ exitCode: code }, `the delivery thread stopped (exit code ${code}); it restarts in ${restartDelayMs / 1000} s and its subscriptions resume from their saved cursors`);
      setTimeout(() => {
        if (this.stopping) return;
        this.started = this.spawn();
        this.started.catch((error: unknown) => logger.error({ err: error }, `the delivery thread cannot start again: ${(error as Error).message}`));
      }, restartDelayMs).unref();
    });
    this.started = Promise.race([online, failed]).then(() => {
      wasOnline = true;
      return channel.call<void>('apply', { config: this.config, level: logger.level, listeners: ownListeners() });
    });
    await this.started;
  }

  async apply(config: GatewayConfig): Promise<void> {
    this.config = config;
    await this.started;
    await this.channel.call('apply', { config, level: this.options.logger.level, listeners: ownListeners() });
  }

  status(id: string): Promise<DeliveryStatus> {
    return this.channel.call('status', id);
  }

  states(ids: readonly string[]): Promise<SubscriptionState[]> {
    return this.channel.call('states', ids);
  }

  retryNow(id: string): Promise<boolean> {
    return this.channel.call('retryNow', id);
  }

  /** The thread's metrics, to merge with the main thread's. */
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    return this.channel.call('metrics');
  }

  reopenLogs(): void {
    this.channel.notify('reopenLogs');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.options.sharing.unshare();
    await this.started.catch(() => undefined);
    await this.channel.call('stop').catch(() => undefined);
    await this.worker.terminate();
  }
}
