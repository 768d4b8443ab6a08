// POST …/subscriptions/{id}/test: one synthetic event sent now, on a connection of its own, through
// the subscription's own format and transport. The answer is bounded and masked: a test-send is
// not a way to read other services.
import { randomUUID } from 'node:crypto';
import { formatters } from '../../formats/index.js';
import type { GatewayConfig, Subscription } from '../config/gateway-config.js';
import type { FormatContext, Formatter, ItemOutcome } from '../contracts/formatter.js';
import type { Journal } from '../contracts/journal.js';
import type { SendResult } from '../contracts/transport.js';
import type { Logger } from '../logger.js';
import { responseSummary, shownResponseChars } from '../observability/response-summary.js';
import { readAnswer } from '../pipeline/batch-sender.js';
import { SubscriptionPipeline } from '../pipeline/subscription-pipeline.js';
import { transportFactory } from '../pipeline/transport-factory.js';

export interface TestSendContext {
  config: GatewayConfig;
  journal: Journal;
  logger: Logger;
  /** Masks credentials and resolved references in text from outside. */
  mask: (text: string) => string;
}

/** The test event's outcome as the answer tells it, for formats that read answers per event. */
function itemOutcome(formatter: Formatter, result: SendResult, context: FormatContext): ItemOutcome | { outcome: 'unreadable'; reason: string } | undefined {
  const read = readAnswer(formatter, result, 1, context);
  return read !== undefined && 'unreadable' in read ? { outcome: 'unreadable', reason: read.unreadable } : read?.[0];
}

export async function testSend(subscription: Subscription, { config, journal, logger, mask }: TestSendContext): Promise<Record<string, unknown>> {
  const transports = transportFactory(config, logger);
  const signingKey = transports.signingKey(subscription);
  const transport = transports.create(subscription);
  try {
    const event = { id: `siem-gateway-test-${randomUUID()}`, recordedAt: new Date().toISOString(), action: { type: 'SIEM_GATEWAY.TEST', description: 'Test event from siem-gateway' }, result: { status: 'SUCCESS' } };
    const pipeline = new SubscriptionPipeline({ subscription, journal, transport, signingKey, formatter: formatters[subscription.format], logger });
    const batch = pipeline.encodeRecords([{ seq: 0, environment: subscription.environment, receivedAt: Date.now(), event }]);
    const started = performance.now();
    const result = await transport.send(batch, AbortSignal.timeout(subscription.delivery.timeoutMs + 1000)).catch((error: unknown): SendResult => ({ ok: false, error: (error as Error).message }));
    const latencyMs = Math.round(performance.now() - started);
    const tls = await transport.tlsDetails?.();
    // A format that reads answers per event (ELASTICSEARCH) says what became of this one: a 200 may still refuse it.
    const item = itemOutcome(formatters[subscription.format], result, pipeline.formatContext);
    return {
      eventId: event.id,
      delivered: result.ok && (item === undefined || item.outcome === 'delivered'),
      ...(item === undefined || item.outcome === 'delivered' ? {} : { item: { outcome: item.outcome, ...('status' in item && item.status !== undefined ? { status: item.status } : {}), ...('reason' in item && item.reason !== undefined ? { reason: mask(item.reason) } : {}) } }),
      ...(result.status === undefined ? {} : { status: result.status }),
      latencyMs,
      ...(result.bodyExcerpt === undefined ? {} : { response: responseSummary(result.bodyExcerpt, mask, shownResponseChars) }),
      ...(result.error === undefined ? {} : { error: mask(result.error) }),
      ...(tls === undefined ? {} : { tls: tls.error === undefined ? tls : { ...tls, error: mask(tls.error) } }),
    };
  } finally {
    await transport.close();
  }
}
