// SPLUNK: one HTTP Event Collector envelope per event (protocols.md §5.3). `time` is recordedAt in
// epoch seconds with millisecond precision, as HEC expects (not milliseconds).
import { hostname } from 'node:os';
import type { ActivityEvent } from '../src/event/activity-event.js';
import type { FormatContext, Formatter } from '../src/contracts/formatter.js';

export const splunkDefaults = { source: 'siem-gateway', sourcetype: 'pingone:activity' } as const;
const machine = hostname();

function envelope(context: FormatContext) {
  const splunk = context.splunk ?? {};
  return {
    host: splunk.host ?? machine,
    source: splunk.source ?? splunkDefaults.source,
    sourcetype: splunk.sourcetype ?? splunkDefaults.sourcetype,
    ...(splunk.index === undefined ? {} : { index: splunk.index }),
  };
}

// The envelope's fixed part as JSON text, per context object (one per subscription).
const envelopeText = new WeakMap<FormatContext, string>();
const closing = Buffer.from('}');

export const splunkFormatter: Formatter = {
  name: 'SPLUNK',
  format(event: ActivityEvent, context: FormatContext) {
    return { time: Date.parse(event.recordedAt) / 1000, ...envelope(context), event };
  },
  formatBytes(event: readonly Buffer[], recordedAt: string, context: FormatContext) {
    let fixed = envelopeText.get(context);
    if (fixed === undefined) {
      fixed = JSON.stringify(envelope(context)).slice(1, -1);
      envelopeText.set(context, fixed);
    }
    return [Buffer.from(`{"time":${JSON.stringify(Date.parse(recordedAt) / 1000)},${fixed},"event":`), ...event, closing];
  },
};
