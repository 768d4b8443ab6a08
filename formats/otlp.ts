// OTLP: OpenTelemetry logs over HTTP (POST /v1/logs), protobuf (the default) or JSON, encoded by
// OpenTelemetry's own serializer (@opentelemetry/otlp-transformer). One LogRecord per event:
// timeUnixNano from recordedAt, observedTimeUnixNano when the gateway accepted it, severity from
// the result (a failure is WARN), eventName and `event.name` = the action type, attributes by the
// semantic conventions, the (redacted) event as the body, and the IdP as the resource's
// service.name.
//
// Each item is a whole ExportLogsServiceRequest holding one ResourceLogs. Protobuf concatenates
// repeated fields, so the items one after another are the request holding all of them (and in
// JSON they are the `resourceLogs` array's elements): the body's size is known exactly before it
// is built, as every format's is.
import { createRequire } from 'node:module';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type * as Transformer from '@opentelemetry/otlp-transformer';
import type * as Resources from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { UnreadableResponseError, type FormatContext, type Formatter, type ItemOutcome } from '../src/contracts/formatter.js';
import type { ActivityEvent } from '../src/event/activity-event.js';
import { version } from '../src/version.js';
import { failed, section, text } from './event-values.js';
import { identityProviderOf, type IdentityProvider } from './identity-provider.js';

// Loaded by the first OTLP item, not at start: the serializer and its protobuf runtime are a fifth
// of a second of every gateway's start, in each thread, most of which have no OTLP subscription.
type OpenTelemetry = { transformer: typeof Transformer; resources: typeof Resources };
let libraries: OpenTelemetry | undefined;
function otel(): OpenTelemetry {
  if (libraries === undefined) {
    const require = createRequire(import.meta.url);
    libraries = { transformer: require('@opentelemetry/otlp-transformer') as typeof Transformer, resources: require('@opentelemetry/resources') as typeof Resources };
  }
  return libraries;
}

const scope = { name: 'siem-gateway', version };
const resources = new Map<IdentityProvider, Resources.Resource>();
const resourceOf = (provider: IdentityProvider) => {
  let resource = resources.get(provider);
  if (resource === undefined) resources.set(provider, (resource = otel().resources.resourceFromAttributes({ 'service.name': provider })));
  return resource;
};

/** [seconds, nanoseconds] of epoch milliseconds. */
const hrTime = (ms: number): [number, number] => [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];


/** One event as the SDK's log record, ready for the serializer. */
export function logRecordOf(event: ActivityEvent, receivedAt: number): ReadableLogRecord {
  const recordedAt = Date.parse(event.recordedAt);
  const actors = section(event.actors);
  const user = section(actors?.user);
  const source = section(event.source);
  const warn = failed(event);
  const attributes: Record<string, string> = { 'event.name': event.action.type, 'log.record.uid': event.id };
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) attributes[name] = value;
  };
  add('user.id', text(user?.id));
  add('user.name', text(user?.name));
  add('session.id', text(section(event.session)?.id));
  // Present only when the subscription exposes them: redaction has already removed them otherwise.
  add('client.address', text(source?.ipAddress));
  add('user_agent.original', text(source?.userAgent));
  return {
    hrTime: hrTime(recordedAt),
    hrTimeObserved: hrTime(receivedAt),
    severityNumber: warn ? SeverityNumber.WARN : SeverityNumber.INFO,
    severityText: warn ? 'WARN' : 'INFO',
    eventName: event.action.type,
    body: event as never,
    resource: resourceOf(identityProviderOf(event)),
    instrumentationScope: scope,
    attributes,
    droppedAttributesCount: 0,
  };
}

const jsonHead = '{"resourceLogs":[';

export const otlpFormatter: Formatter = {
  name: 'OTLP',
  bodyFraming: (context) =>
    context.otlp?.encoding === 'json'
      ? { contentType: 'application/json', prefix: jsonHead, separator: ',', suffix: ']}' }
      : { contentType: 'application/x-protobuf', prefix: '', separator: '', suffix: '' },
  format(event: ActivityEvent, context: FormatContext, receivedAt = Date.now()) {
    const records = [logRecordOf(event, receivedAt)];
    const { ProtobufLogsSerializer, JsonLogsSerializer } = otel().transformer;
    if (context.otlp?.encoding !== 'json') return ProtobufLogsSerializer.serializeRequest(records)!;
    // The one element of resourceLogs: the request's text without its head and its closing `]}`.
    return Buffer.from(JsonLogsSerializer.serializeRequest(records)!).toString('utf8').slice(jsonHead.length, -2);
  },
  readItems(response: Buffer, events: number, context: FormatContext): ItemOutcome[] {
    const partial = partialSuccess(response, context.otlp?.encoding ?? 'protobuf');
    const rejected = partial.rejected;
    if (rejected > events) throw new UnreadableResponseError(`the receiver says it rejected ${rejected} log records of ${events}`);
    if (rejected === 0) return Array.from({ length: events }, () => ({ outcome: 'delivered' }));
    const message = partial.message === '' ? 'no message' : partial.message;
    // OTLP names no record: when only some were rejected, every one is kept, and the reason says so.
    const reason = rejected === events ? `the receiver rejected ${events === 1 ? 'the log record' : `all ${events} log records`}: ${message}` : `the receiver rejected ${rejected} of the ${events} log records in this request without saying which: ${message}`;
    return Array.from({ length: events }, () => ({ outcome: 'rejected', reason }));
  },
};

/** ExportLogsServiceResponse.partial_success: how many records the receiver rejected, and why. */
function partialSuccess(response: Buffer, encoding: 'protobuf' | 'json'): { rejected: number; message: string } {
  // "If the request is only partially accepted … the server MUST initialize the partial_success field"; an empty answer accepted everything.
  if (response.length === 0) return { rejected: 0, message: '' };
  let answer: { partialSuccess?: { rejectedLogRecords?: unknown; errorMessage?: unknown } };
  try {
    answer = encoding === 'json' ? (JSON.parse(response.toString('utf8')) as typeof answer) : otel().transformer.ProtobufLogsSerializer.deserializeResponse(response);
  } catch {
    throw new UnreadableResponseError(`the answer is not an ExportLogsServiceResponse in ${encoding}`);
  }
  const count = answer?.partialSuccess?.rejectedLogRecords;
  const rejected = count === undefined ? 0 : Number(count);
  if (!Number.isSafeInteger(rejected) || rejected < 0) throw new UnreadableResponseError('partialSuccess.rejectedLogRecords is not a count');
  const message = typeof answer.partialSuccess?.errorMessage === 'string' ? answer.partialSuccess.errorMessage.slice(0, 500) : '';
  return { rejected, message };
}
