// SPLUNK: one HTTP Event Collector envelope per event (protocols.md §5.3). `time` is recordedAt in
// epoch seconds with millisecond precision, as HEC expects (not milliseconds).
import { hostname } from 'node:os';
import type { ActivityEvent } from '../src/event.js';
import type { FormatContext, Formatter } from '../src/pipeline/formatter.js';

export const splunkDefaults = { source: 'siem-gateway', sourcetype: 'pingone:activity' } as const;
const machine = hostname();

export const splunkFormatter: Formatter = {
  name: 'SPLUNK',
  format(event: ActivityEvent, context: FormatContext) {
    const splunk = context.splunk ?? {};
    return {
      time: Date.parse(event.recordedAt) / 1000,
      host: splunk.host ?? machine,
      source: splunk.source ?? splunkDefaults.source,
      sourcetype: splunk.sourcetype ?? splunkDefaults.sourcetype,
      ...(splunk.index === undefined ? {} : { index: splunk.index }),
      event,
    };
  },
};
