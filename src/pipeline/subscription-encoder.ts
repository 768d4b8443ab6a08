// How one subscription turns journal records into request bodies: its format, its body shape
// (JSON array, NDJSON, syslog frames, one event per request), its payload limit and redaction.
// Items are spliced from the events' stored bytes where the format allows (no parse at all).
import type { Subscription } from '../config/gateway-config.js';
import { hasPlaceholders, parseTemplate, splitUrlTemplate } from '../config/placeholder-template.js';
import type { FormatContext, Formatter, RequestTemplate, SecurityEventSettings } from '../contracts/formatter.js';
import type { EncodedBatch, Item } from '../contracts/transport.js';
import type { JournalRecord } from '../event/activity-event.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { encodeBatch, payloadLimit, type PayloadLimit } from './batch-builder.js';
import { bodyShape, framedShape, perRequestShape, tcpBodyShape, type BodyShape } from './body-shape.js';
import { compileRedactor, redactRawEvent, type Redactor } from './redact.js';

export interface EncoderOptions {
  subscription: Subscription;
  formatter: Formatter;
  metrics?: GatewayMetrics;
  /** Format SET: the key that signs its tokens (alg, kid, sign). */
  signingKey?: Pick<SecurityEventSettings, 'alg' | 'kid' | 'sign'>;
}

export class SubscriptionEncoder {
  readonly redact: Redactor;
  readonly shape: BodyShape;
  readonly limit: PayloadLimit;
  readonly context: FormatContext;
  /** Items built from the events' stored bytes, without parsing them (compact encodings only). */
  private readonly spliceItems: boolean;
  /** Items written as compact JSON text by the formatter itself (compact encodings only). */
  private readonly textItems: boolean;

  constructor(private readonly options: EncoderOptions) {
    const { subscription } = options;
    this.redact = compileRedactor(subscription.filterOptions);
    const { https, tcp } = subscription.payloadOptions.payloadFormat;
    // Over TCP every event is its own document, as in ND_JSON.
    const encoding = subscription.protocol === 'TCP_IP' ? 'ND_JSON' : https.format;
    const { metrics } = options;
    const labels = { environment: subscription.environment, subscription: subscription.id };
    this.context = {
      environment: subscription.environment,
      encoding,
      splunk: subscription.splunk,
      newRelic: subscription.newRelic,
      onAttributes: metrics && (({ renamed, dropped, truncated }) => {
        if (renamed > 0) metrics.attributesAdjusted.inc({ ...labels, reason: 'renamed' }, renamed);
        if (dropped > 0) metrics.attributesAdjusted.inc({ ...labels, reason: 'dropped' }, dropped);
        if (truncated > 0) metrics.attributesAdjusted.inc({ ...labels, reason: 'truncated' }, truncated);
      }),
    };
    if (subscription.template !== undefined) this.context.template = requestTemplate(subscription);
    if (subscription.set !== undefined && options.signingKey !== undefined) this.context.securityEvents = { ...subscription.set, ...options.signingKey };
    if (subscription.elasticsearch !== undefined) this.context.elasticsearch = subscription.elasticsearch;
    if (subscription.format === 'OTLP') this.context.otlp = subscription.otlp;
    if (subscription.format === 'OCSF') this.context.ocsf = subscription.ocsf;
    const { perRequest, bodyFraming } = options.formatter;
    const framed = bodyFraming === undefined ? undefined : framedShape(bodyFraming(this.context));
    if (perRequest !== undefined) this.shape = perRequestShape(perRequest.contentType(this.context));
    // Over TCP a framed format's item (a CEF or LEEF line) is the syslog message, as it is.
    else if (subscription.protocol === 'TCP_IP') this.shape = tcpBodyShape(tcp.format, tcp.framing, tcp.additionalAttributes, framed?.encodeItem);
    else this.shape = framed ?? bodyShape(https.format, https.prettyPrint, options.formatter, this.context);
    this.limit = perRequest !== undefined ? { maxEvents: 1, maxBytes: Number.POSITIVE_INFINITY } : payloadLimit(subscription);
    const compact = subscription.protocol === 'TCP_IP' || !https.prettyPrint;
    this.spliceItems = options.formatter.formatBytes !== undefined && compact;
    this.textItems = options.formatter.formatText !== undefined && compact;
  }

  /** A one-event-per-request batch gets the path and headers its event fills in. */
  withTarget(batch: EncodedBatch): EncodedBatch {
    const perRequest = this.options.formatter.perRequest;
    if (perRequest?.target !== undefined) batch.target = perRequest.target(this.redact(batch.records[0]!.event), this.context);
    return batch;
  }

  /** One event as an encoded item: from its stored bytes when it can be, else from the parsed event, as text or as an object. */
  encode(record: JournalRecord): Item {
    const { formatter, subscription } = this.options;
    const raw = record.raw;
    let item: Item;
    if (this.spliceItems && raw?.spliceable) item = formatter.formatBytes!(redactRawEvent(raw, subscription.filterOptions), raw.recordedAt, this.context);
    else if (this.textItems) item = [Buffer.from(formatter.formatText!(this.redact(record.event), this.context))];
    else item = [this.shape.encodeItem(formatter.format(this.redact(record.event), this.context, record.receivedAt))];
    // A syslog frame counts the item's bytes: it is built whole.
    return this.shape.frame ? [this.shape.frame(item.length === 1 ? item[0]! : Buffer.concat(item), record)] : item;
  }

  /** These records as one batch, as this subscription sends them (the test-send route; no filters). */
  encodeRecords(records: readonly JournalRecord[]): EncodedBatch {
    return this.withTarget(encodeBatch(this.shape, this.options.subscription, records.map((record) => this.encode(record)), records, records[0]!.seq, records.at(-1)!.seq, false));
  }

  /** Events [from, to) of a batch as a batch of their own. */
  part(batch: EncodedBatch, from: number, to: number): EncodedBatch {
    const records = batch.records.slice(from, to);
    const lastSeq = to === batch.events ? batch.lastSeq : records.at(-1)!.seq;
    return this.withTarget(encodeBatch(this.shape, this.options.subscription, batch.items.slice(from, to), records, records[0]!.seq, lastSeq, batch.oversize));
  }

  /** The batch's events at `positions` (ascending), in order, as a batch of their own: what a receiver asked to have again. */
  pick(batch: EncodedBatch, positions: readonly number[]): EncodedBatch {
    const records = positions.map((position) => batch.records[position]!);
    const lastSeq = positions.at(-1) === batch.events - 1 ? batch.lastSeq : records.at(-1)!.seq;
    return this.withTarget(encodeBatch(this.shape, this.options.subscription, positions.map((position) => batch.items[position]!), records, records[0]!.seq, lastSeq, batch.oversize));
  }
}

/** A TEMPLATE subscription's templates, parsed (they were checked when the configuration was loaded). */
function requestTemplate(subscription: Subscription): RequestTemplate {
  const { template, httpEndpoint } = subscription;
  const url = splitUrlTemplate(httpEndpoint!.url);
  return {
    body: parseTemplate(template!.body, template!.contentType === 'application/json' ? 'json' : 'form'),
    contentType: template!.contentType,
    ...(url !== undefined && hasPlaceholders(url.path) ? { path: parseTemplate(url.path, 'url') } : {}),
    headers: Object.entries(httpEndpoint!.headers ?? {}).filter(([, value]) => hasPlaceholders(value)).map(([name, value]) => [name.toLowerCase(), parseTemplate(value, 'header')] as const),
  };
}
