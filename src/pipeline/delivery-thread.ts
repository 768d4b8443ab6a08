// The main thread's side of the delivery thread (delivery-worker.ts): starts it, feeds it every
// durable batch and segment change of the journal, answers its requests (cursors, damage, dead
// letters, log lines) and forwards the gateway's (configuration, status, metrics, stop). If the
// thread dies, it is logged and started again; the pipelines resume from their saved cursors.
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { GatewayConfig, StartAt } from '../config/gateway-config.js';
import type { FoundDamage } from '../backends/file/file-journal-reader.js';
import { mirroredBatch } from '../backends/file/journal-mirror.js';
import { ownListeners } from '../network/own-listeners.js';
import { ThreadChannel } from '../util/thread-channel.js';
import type { DeadLetter } from '../contracts/dead-letters.js';
import type { Delivery, DeliveryOptions, DeliveryStatus, SubscriptionState } from './delivery.js';
import type { DeliveryWorkerData } from './delivery-worker.js';

const restartDelayMs = 1_000;

export class DeliveryThread implements Delivery {
  private worker!: Worker;
  private channel!: ThreadChannel;
  private config!: GatewayConfig;
  private stopping = false;
  private started!: Promise<void>;

  private constructor(private readonly options: DeliveryOptions) {}

  /** Starts the thread with `config`'s subscriptions running. */
  static async start(options: DeliveryOptions, config: GatewayConfig): Promise<DeliveryThread> {
    const thread = new DeliveryThread(options);
    thread.config = config;
    await thread.spawn();
    options.metrics.mergeFrom(() => thread.metrics());
    return thread;
  }

  private async spawn(): Promise<void> {
    const { journal, deadLetters, logger } = this.options;
    // The snapshot and the follower are taken in one step: no batch falls between them.
    const start = journal.follow({
      durable: (tails, activeSegmentBytes) => {
        const batches = [];
        const transfer = [];
        for (const tail of tails) {
          const mirrored = mirroredBatch(tail);
          batches.push(mirrored.batch);
          transfer.push(...mirrored.transfer);
        }
        this.channel.notify('durable', { batches, activeSegmentBytes }, transfer);
      },
      // Posting copies them: the thread's list does not move with the journal's.
      segments: (segments) => this.channel.notify('segments', segments),
    });
    const data: DeliveryWorkerData = { config: this.config, level: logger.level, start };
    const worker = new Worker(new URL('./delivery-worker.js', import.meta.url), { workerData: data });
    const stream = (logger as unknown as Record<symbol, { write(line: string): void }>)[pino.symbols.streamSym]!;
    let ready!: () => void;
    const online = new Promise<void>((resolve) => (ready = resolve));
    this.worker = worker;
    const channel = new ThreadChannel(worker, {
      ready: () => ready(),
      log: (line: string) => stream.write(line),
      openCursor: ({ subscriptionId, environment, startAt }: { subscriptionId: string; environment: string; startAt: StartAt }) => journal.openCursor(subscriptionId, environment, startAt),
      commit: ({ subscriptionId, upTo }: { subscriptionId: string; upTo: number }) => journal.commit(subscriptionId, upTo),
      releaseCursor: (subscriptionId: string) => journal.releaseCursor(subscriptionId),
      reportDamage: ({ damage, subscriptionId, fromSeq }: { damage: FoundDamage; subscriptionId: string | undefined; fromSeq: number }) => journal.reportDamage(damage, subscriptionId, fromSeq),
      noteHeld: ({ subscriptionId, seq }: { subscriptionId: string; seq: number }) => journal.noteHeld(subscriptionId, seq),
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
      journal.follow(undefined);
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
    this.options.journal.follow(undefined);
    await this.started.catch(() => undefined);
    await this.channel.call('stop').catch(() => undefined);
    await this.worker.terminate();
  }
}
