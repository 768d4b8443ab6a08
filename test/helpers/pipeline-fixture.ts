// A real FileJournal in a temporary directory and a pipeline over it, with a recording transport.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { formatters } from '../../formats/index.js';
import { parseConfigText } from '../../src/config/load-config.js';
import type { Subscription } from '../../src/config/gateway-config.js';
import { FileJournal } from '../../src/backends/file/file-journal.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import type { DeadLetter } from '../../src/contracts/dead-letters.js';
import { DeadLetterStore } from '../../src/backends/file/dead-letter-store.js';
import { SubscriptionPipeline } from '../../src/pipeline/subscription-pipeline.js';
import type { Transport } from '../../src/contracts/transport.js';
import type { Clock } from '../../src/util/clock.js';
import { captureLogger } from './capture-logger.js';
import { RecordingTransport } from './recording-transport.js';
import { tempDirClosing } from './temp-dir.js';

/** A validated subscription from YAML lines (indented 4 spaces, under `- id: sub`). */
export function subscriptionFrom(yaml: string, environment = 'prod'): Subscription {
  const text = `environments: [ { id: prod }, { id: dev } ]\nauth: { tokens: [ { name: a, token: "ingest-token-0123456789", scopes: [ingest] } ] }\nsubscriptions:\n  - id: sub\n    environment: ${environment}\n    httpEndpoint: { url: "https://127.0.0.1:9/x" }\n${yaml}`;
  return parseConfigText(text, 'test.yaml').config.subscriptions[0]!;
}

export interface FixtureOptions {
  clock?: Clock;
  /** Default: a RecordingTransport. */
  transport?: Transport;
  readMax?: number;
  maxAgeMs?: number;
  /** Backoff jitter; default 0 (retries come at once unless a test's clock says otherwise). */
  random?: () => number;
}

export async function pipelineFixture(t: TestContext, subscription: Subscription, options: FixtureOptions = {}) {
  const { logger, lines } = captureLogger();
  let stop: () => Promise<void> = () => Promise.resolve();
  const dir = tempDirClosing(t, () => stop());
  const journal = await FileJournal.open({ dir, maxBytes: 1 << 30, maxAgeMs: 3_600_000, whenFull: 'reject', logger });
  const transport = (options.transport ?? new RecordingTransport()) as RecordingTransport;
  const metrics = new GatewayMetrics();
  const deadLetters = new DeadLetterStore(join(dir, 'dead-letters'));
  const pipeline = new SubscriptionPipeline({
    subscription,
    journal,
    transport,
    formatter: formatters[subscription.format],
    logger,
    metrics,
    deadLetters,
    clock: options.clock,
    readMax: options.readMax,
    maxAgeMs: options.maxAgeMs,
    random: options.random ?? (() => 0),
  });
  stop = async () => {
    await pipeline.stop();
    await journal.close();
  };
  /** The dead letters written so far. */
  const deadLettered = (): DeadLetter[] => {
    const file = deadLetters.path(subscription.id);
    return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as DeadLetter) : [];
  };
  return { journal, transport, pipeline, metrics, lines, deadLettered };
}
