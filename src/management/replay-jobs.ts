// Replay jobs: a subscription's events sent again beside its live delivery, by a pipeline of their
// own on a ReplayJournal (a time range of the journal, or its dead letters), through the
// subscription's current format, filters and destination. At most one job per subscription.
import { randomUUID } from 'node:crypto';
import { formatters } from '../../formats/index.js';
import type { Subscription } from '../config/gateway-config.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { DeadLetter, DeadLetterArchive } from '../contracts/dead-letters.js';
import type { AttemptReport } from '../contracts/transport.js';
import { SubscriptionPipeline } from '../pipeline/subscription-pipeline.js';
import type { TransportFactory } from '../pipeline/transport-factory.js';
import { recordList, ReplayJournal, type RecordSource } from './replay-journal.js';

export interface ReplayJobView {
  id: string;
  subscription: string;
  environment: string;
  kind: 'range' | 'dead-letters';
  state: 'running' | 'done' | 'failed';
  fromSeq: number;
  toSeq: number;
  /** The last seq delivered, dead-lettered or passed by the filters. */
  position: number;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** Dead letters that left the store because they were delivered this time. */
  removedDeadLetters?: number;
}

export interface ReplayDependencies {
  transports: () => TransportFactory;
  deadLetters: DeadLetterArchive;
  logger: Logger;
  metrics?: GatewayMetrics;
  onAttempt?: (report: AttemptReport) => void;
  mask?: (text: string) => string;
}

interface Job {
  view: ReplayJobView;
  journal: ReplayJournal;
  stop?: () => Promise<void>;
}

export class ReplayJobs {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly dependencies: ReplayDependencies) {}

  get(jobId: string): ReplayJobView | undefined {
    return this.jobs.get(jobId)?.view;
  }

  /** The job running for a subscription, if any. */
  runningFor(subscriptionId: string): ReplayJobView | undefined {
    for (const job of this.jobs.values()) if (job.view.subscription === subscriptionId && job.view.state === 'running') return job.view;
    return undefined;
  }

  /** Sends the records fromSeq..toSeq of `source` again (a range of the journal). */
  replayRange(subscription: Subscription, source: RecordSource, fromSeq: number, toSeq: number): ReplayJobView {
    return this.start(subscription, 'range', new ReplayJournal(source, fromSeq, toSeq));
  }

  /** Sends dead letters again; each leaves the store once delivered (one refused again is dead-lettered anew). */
  replayDeadLetters(subscription: Subscription, letters: DeadLetter[]): ReplayJobView {
    const sorted = [...letters].sort((a, b) => a.seq - b.seq);
    const records = sorted.map((letter) => ({ seq: letter.seq, environment: letter.environment, receivedAt: Date.parse(letter.time), event: letter.event }));
    const journal = new ReplayJournal(recordList(records), sorted[0]!.seq, sorted.at(-1)!.seq);
    const replayed = new Set(sorted.map((letter) => `${letter.seq}|${letter.time}`));
    return this.start(subscription, 'dead-letters', journal, async (view) => {
      view.removedDeadLetters = await this.dependencies.deadLetters.rewrite(subscription.id, (letter) => replayed.has(`${letter.seq}|${letter.time}`));
    });
  }

  private start(subscription: Subscription, kind: ReplayJobView['kind'], journal: ReplayJournal, after?: (view: ReplayJobView) => Promise<void>): ReplayJobView {
    const view: ReplayJobView = { id: randomUUID(), subscription: subscription.id, environment: subscription.environment, kind, state: 'running', fromSeq: journal.position + 1, toSeq: journal.stats().lastSeq, position: journal.position, startedAt: new Date().toISOString() };
    const job: Job = { view, journal };
    this.jobs.set(view.id, job);
    void this.run(subscription, job, after);
    return view;
  }

  private async run(subscription: Subscription, job: Job, after?: (view: ReplayJobView) => Promise<void>): Promise<void> {
    const { view, journal } = job;
    const { logger } = this.dependencies;
    const transports = this.dependencies.transports();
    const signingKey = transports.signingKey(subscription);
    const transport = transports.create(subscription);
    let failure: ((error: Error) => void) | undefined;
    const failed = new Promise<never>((_, reject) => (failure = reject));
    failed.catch(() => undefined);
    const pipeline = new SubscriptionPipeline({
      ...this.dependencies,
      subscription,
      journal,
      transport,
      signingKey,
      formatter: formatters[subscription.format],
      onFailed: (error) => failure!(error),
    });
    job.stop = async () => {
      await pipeline.stop();
      await transport.close();
    };
    const progress = setInterval(() => (view.position = journal.position), 200);
    try {
      await pipeline.start();
      await Promise.race([journal.done, failed]);
      await job.stop();
      view.position = journal.position;
      await after?.(view);
      view.state = 'done';
      logger.info({ subscription: subscription.id, job: view.id, kind: view.kind, fromSeq: view.fromSeq, toSeq: view.toSeq }, `replay ${view.id} of subscription ${subscription.id} is done`);
    } catch (error) {
      await job.stop().catch(() => undefined);
      view.state = 'failed';
      view.error = this.dependencies.mask?.((error as Error).message) ?? (error as Error).message;
      logger.error({ subscription: subscription.id, job: view.id, err: error }, `replay ${view.id} of subscription ${subscription.id} failed: ${view.error}`);
    } finally {
      clearInterval(progress);
      view.finishedAt = new Date().toISOString();
    }
  }

  /** Stops every running job (gateway shutdown); what they had not sent is not sent. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.jobs.values()].filter((job) => job.view.state === 'running').map((job) => job.stop?.() ?? Promise.resolve()));
  }
}
