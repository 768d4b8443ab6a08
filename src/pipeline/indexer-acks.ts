// Splunk HEC indexer acknowledgement (protocols.md §5.5): with `splunk.indexerAck`, HEC's 200 only
// says a batch entered the pipeline; its `ackId` says when it is indexed. This polls
// `POST /services/collector/ack` with `{"acks":[…]}` on the subscription's channel for every ackId
// waiting, one request for all of them, and settles each as `true` comes back, or as timed out
// after `ackTimeoutMs` (the batch is then sent again). Splunk forgets an ackId once it has answered
// `true` for it, so each is settled at most once.
import { createHash } from 'node:crypto';
import type { Subscription } from '../config/gateway-config.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Clock } from '../util/clock.js';

/** POSTs a JSON body to the ack endpoint with the subscription's headers: the status and the answer's text. */
export type AckQuery = (body: Buffer, signal: AbortSignal) => Promise<{ status: number; body: string }>;

export interface IndexerAckOptions {
  query: AckQuery;
  clock: Clock;
  timeoutMs: number;
  logger: Logger;
  metrics?: GatewayMetrics;
  labels: { environment: string; subscription: string };
}

/** How often the pending ackIds are asked about. */
const pollMs = 500;

interface Waiting {
  sentAt: number;
  settle: (acknowledged: boolean) => void;
}

export class IndexerAcks {
  private readonly waiting = new Map<number, Waiting>();
  private polling: Promise<void> | undefined;
  private readonly stop = new AbortController();
  /** The last failure of the ack endpoint named in the log (one line per kind of failure, not per poll). */
  private lastFailure: string | undefined;

  constructor(private readonly options: IndexerAckOptions) {}

  get pending(): number {
    return this.waiting.size;
  }

  /** True once HEC says the batch with `ackId` is indexed; false when `timeoutMs` passes first (or on close). */
  wait(ackId: number): Promise<boolean> {
    // Closed (the pipeline is stopping): nothing will ask HEC any more.
    if (this.stop.signal.aborted) return Promise.resolve(false);
    const { clock, metrics, labels } = this.options;
    const sentAt = clock.now();
    const acknowledged = new Promise<boolean>((resolve) => {
      this.waiting.get(ackId)?.settle(false); // an id HEC gave again: the older wait is over
      this.waiting.set(ackId, { sentAt, settle: resolve });
    });
    metrics?.indexerAcksPending.set(labels, this.waiting.size);
    this.polling ??= this.poll().finally(() => (this.polling = undefined));
    return acknowledged;
  }

  /** Ends every wait (unacknowledged) and the polling: the pipeline is stopping. */
  async close(): Promise<void> {
    this.stop.abort();
    for (const [ackId, waiting] of this.waiting) this.settle(ackId, waiting, false);
    await this.polling;
  }

  private settle(ackId: number, waiting: Waiting, acknowledged: boolean): void {
    const { metrics, labels, clock } = this.options;
    this.waiting.delete(ackId);
    metrics?.indexerAcksPending.set(labels, this.waiting.size);
    if (acknowledged) metrics?.indexerAckLatency.observe(labels, (clock.now() - waiting.sentAt) / 1000);
    waiting.settle(acknowledged);
  }

  private async poll(): Promise<void> {
    const { clock, timeoutMs, metrics, labels } = this.options;
    while (this.waiting.size > 0 && !this.stop.signal.aborted) {
      try {
        await clock.sleep(pollMs, this.stop.signal);
      } catch {
        return;
      }
      // A few dozen at most: the pipeline lets 64 batches wait for their acknowledgement.
      const ids = [...this.waiting.keys()];
      const answered = await this.ask(ids);
      const now = clock.now();
      for (const ackId of ids) {
        const waiting = this.waiting.get(ackId);
        if (waiting === undefined) continue;
        if (answered?.get(ackId) === true) this.settle(ackId, waiting, true);
        else if (now - waiting.sentAt >= timeoutMs) {
          metrics?.indexerAckTimeouts.inc(labels);
          this.settle(ackId, waiting, false);
        }
      }
    }
  }

  /** HEC's answer for `ids`: which are indexed. Undefined when the endpoint failed (logged once per kind). */
  private async ask(ids: number[]): Promise<Map<number, boolean> | undefined> {
    const { query, logger, labels } = this.options;
    let failure: string;
    try {
      const answer = await query(Buffer.from(JSON.stringify({ acks: ids })), this.stop.signal);
      if (answer.status === 200) {
        const acks = (JSON.parse(answer.body) as { acks?: Record<string, unknown> }).acks;
        if (typeof acks === 'object' && acks !== null) {
          this.lastFailure = undefined;
          return new Map(Object.entries(acks).map(([id, value]) => [Number(id), value === true]));
        }
        failure = 'an answer without acks';
      } else failure = `HTTP ${answer.status}${hecCode(answer.body)}`;
    } catch (error) {
      if (this.stop.signal.aborted) return undefined;
      failure = error instanceof SyntaxError ? 'an answer that is not JSON' : (error as Error).message;
    }
    if (failure !== this.lastFailure) {
      this.lastFailure = failure;
      logger.warn({ subscription: labels.subscription, error: failure }, `subscription ${labels.subscription}: the HEC acknowledgement endpoint answered ${failure}; batches wait for their acknowledgement until splunk.ackTimeoutMs, then are sent again`);
    }
    return undefined;
  }
}

/** HEC's code and text (`{"text":"Invalid data channel","code":11}`), as words after a status. */
export function hecCode(body: string | undefined): string {
  if (body === undefined) return '';
  try {
    const answer = JSON.parse(body) as { code?: unknown; text?: unknown };
    if (typeof answer.code !== 'number') return '';
    return ` (HEC code ${answer.code}${typeof answer.text === 'string' ? `: ${answer.text.slice(0, 100)}` : ''})`;
  } catch {
    return '';
  }
}

/**
 * The subscription's HEC channel: a UUID made from its environment, its id and HEC's origin, so it
 * is the same after a restart (acknowledgements pending before it can still be asked about) and on
 * every gateway sharing a JetStream journal, without being stored anywhere.
 */
export function hecChannel(subscription: Pick<Subscription, 'environment' | 'id' | 'httpEndpoint'>): string {
  const origin = new URL(subscription.httpEndpoint!.url).origin;
  const hash = createHash('sha256').update(`siem-gateway HEC channel\0${subscription.environment}\0${subscription.id}\0${origin}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80; // RFC 9562 version 8 (custom)
  hash[8] = (hash[8]! & 0x3f) | 0x80; // variant 10
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** HEC's acknowledgement endpoint beside the subscription's URL (a proxy's path prefix kept). */
export function hecAckPath(url: string): string {
  const { pathname } = new URL(url);
  const at = pathname.indexOf('/services/collector');
  return `${at === -1 ? '' : pathname.slice(0, at)}/services/collector/ack`;
}
