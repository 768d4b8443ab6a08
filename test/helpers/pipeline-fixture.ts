// A real FileJournal in a temporary directory and a pipeline over it, with a recording transport.
import type { TestContext } from 'node:test';
import { formatters } from '../../formats/index.js';
import { parseConfigText } from '../../src/config/load-config.js';
import type { Subscription } from '../../src/config/gateway-config.js';
import { FileJournal } from '../../src/journal/file-journal.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { SubscriptionPipeline } from '../../src/pipeline/subscription-pipeline.js';
import type { Clock } from '../../src/util/clock.js';
import { captureLogger } from './capture-logger.js';
import { RecordingTransport } from './recording-transport.js';
import { tempDirClosing } from './temp-dir.js';

/** A validated subscription from YAML lines (indented 4 spaces, under `- id: sub`). */
export function subscriptionFrom(yaml: string, environment = 'prod'): Subscription {
  const text = `environments: [ { id: prod }, { id: dev } ]\nauth: { tokens: [ { name: a, token: "ingest-token-0123456789", scopes: [ingest] } ] }\nsubscriptions:\n  - id: sub\n    environment: ${environment}\n    httpEndpoint: { url: "https://127.0.0.1:9/x" }\n${yaml}`;
  return parseConfigText(text, 'test.yaml').config.subscriptions[0]!;
}

export async function pipelineFixture(t: TestContext, subscription: Subscription, options: { clock?: Clock; transport?: RecordingTransport; readMax?: number } = {}) {
  const { logger, lines } = captureLogger();
  let stop: () => Promise<void> = () => Promise.resolve();
  const dir = tempDirClosing(t, () => stop());
  const journal = await FileJournal.open({ dir, maxBytes: 1 << 30, maxAgeMs: 3_600_000, whenFull: 'reject', logger });
  const transport = options.transport ?? new RecordingTransport();
  const metrics = new GatewayMetrics();
  const pipeline = new SubscriptionPipeline({ subscription, journal, transport, formatter: formatters[subscription.format], logger, metrics, clock: options.clock, readMax: options.readMax });
  stop = async () => {
    await pipeline.stop();
    await journal.close();
  };
  return { journal, transport, pipeline, metrics, lines };
}
