// The delivery thread (a worker_thread): every subscription pipeline runs here, so formatting,
// batching and sending use the second core while the main thread ingests. It reads the journal
// through a JournalMirror (see there); cursors, dead letters and log lines go back to the main
// thread, which owns the files. Its metrics are merged into the main thread's at scrape time.
import { parentPort, workerData } from 'node:worker_threads';
import { Writable } from 'node:stream';
import type { GatewayConfig } from '../config/gateway-config.js';
import { JournalMirror, type MirroredBatch } from '../backends/file/journal-mirror.js';
import type { SegmentInfo } from '../backends/file/segment-file.js';
import { createLogger } from '../logger.js';
import { DeliveryLog } from '../observability/delivery-log.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { ThreadChannel } from '../util/thread-channel.js';
import type { DeadLetter } from '../contracts/dead-letters.js';
import { PipelineRegistry } from './pipeline-registry.js';
import { transportFactory } from './transport-factory.js';
import type { ListenerAddress } from '../network/destination-policy.js';
import { setOwnListeners } from '../network/own-listeners.js';

export interface DeliveryWorkerData {
  config: GatewayConfig;
  level: string;
  start: { segments: readonly SegmentInfo[]; durableSeq: number };
}

const data = workerData as DeliveryWorkerData;
const port = parentPort!;

// Log lines go to the main thread's logger as they are, so there is one stream, in order.
const lines = new Writable({
  write(chunk: Buffer | string, _encoding, done) {
    channel.notify('log', chunk.toString());
    done();
  },
});
const logger = createLogger(data.level, lines);
const metrics = new GatewayMetrics({ processMetrics: false });
const deliveryLog = new DeliveryLog(logger);
deliveryLog.configure(data.config);
const journal = new JournalMirror(
  {
    openCursor: (subscriptionId, environment, startAt) => channel.call('openCursor', { subscriptionId, environment, startAt }),
    commit: (subscriptionId, upTo) => channel.call('commit', { subscriptionId, upTo }),
    releaseCursor: (subscriptionId) => channel.notify('releaseCursor', subscriptionId),
    reportDamage: (damage, subscriptionId, fromSeq) => channel.notify('reportDamage', { damage, subscriptionId, fromSeq }),
    noteHeld: (subscriptionId, seq) => channel.notify('noteHeld', { subscriptionId, seq }),
  },
  data.start,
);
const registry = new PipelineRegistry({
  journal,
  transports: transportFactory(data.config, logger),
  deadLetters: { add: (letters: readonly DeadLetter[]) => channel.call('addDeadLetters', letters) },
  maxAgeMs: data.config.storage.maxAgeHours * 3_600_000,
  logger,
  metrics,
  onAttempt: (report) => deliveryLog.record(report),
  mask: (text) => deliveryLog.masked(text),
});
metrics.observeSubscriptions(() => registry.statuses());

const channel: ThreadChannel = new ThreadChannel(port, {
  durable: ({ batches, activeSegmentBytes }: { batches: MirroredBatch[]; activeSegmentBytes: number }) => journal.received(batches, activeSegmentBytes),
  segments: (segments: SegmentInfo[]) => journal.segmentsChanged(segments),
  apply: async ({ config, level, listeners }: { config: GatewayConfig; level: string; listeners: ListenerAddress[] }) => {
    logger.level = level;
    setOwnListeners(listeners);
    deliveryLog.configure(config);
    await registry.apply(config.subscriptions, transportFactory(config, logger));
  },
  status: (id: string) => registry.status(id),
  states: (ids: string[]) => ids.map((id) => registry.state(id)),
  retryNow: (id: string) => registry.retryNow(id),
  metrics: () => metrics.registry.getMetricsAsJSON(),
  reopenLogs: () => deliveryLog.reopen(),
  stop: async () => {
    await registry.stopAll();
    await journal.close();
    deliveryLog.close();
  },
});
channel.notify('ready');
