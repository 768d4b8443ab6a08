// The delivery thread (a worker_thread): every subscription pipeline runs here, so formatting,
// batching and sending use the second core while the main thread ingests. It reads the journal
// through the mirror its backend provides (src/contracts/journal-sharing.ts); the mirror's
// requests, dead letters and log lines go back to the main thread, which owns the storage. Its metrics are merged into the main thread's at scrape time.
import { parentPort, workerData } from 'node:worker_threads';
import { Writable } from 'node:stream';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { OpenMirror } from '../contracts/journal-sharing.js';
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
  /** The backend's mirror module and what the mirror starts from. */
  journal: { module: string; start: unknown };
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
const { openMirror } = (await import(data.journal.module)) as { openMirror: OpenMirror };
const mirror = openMirror(data.journal.start, {
  call: (name, payload) => channel.call('journal', { name, data: payload }),
  notify: (name, payload) => channel.notify('journal', { name, data: payload }),
});
const { journal } = mirror;
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
  journal: ({ name, data }: { name: string; data: unknown }) => mirror.heard(name, data),
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
