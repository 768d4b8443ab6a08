// The format registry: adding a SIEM shape is one file in formats/ and one line here.
import type { Formatter } from '../src/contracts/formatter.js';
import { activityFormatter } from './activity.js';
import { cefFormatter } from './cef.js';
import { elasticsearchFormatter } from './elasticsearch.js';
import { leefFormatter } from './leef.js';
import { newRelicFormatter } from './newrelic.js';
import { ocsfFormatter } from './ocsf.js';
import { otlpFormatter } from './otlp.js';
import { securityEventTokenFormatter } from './security-event-token.js';
import { splunkFormatter } from './splunk.js';
import { templateFormatter } from './template.js';

export const formatters: Record<Formatter['name'], Formatter> = {
  ACTIVITY: activityFormatter,
  SPLUNK: splunkFormatter,
  NEWRELIC: newRelicFormatter,
  TEMPLATE: templateFormatter,
  SET: securityEventTokenFormatter,
  ELASTICSEARCH: elasticsearchFormatter,
  OTLP: otlpFormatter,
  OCSF: ocsfFormatter,
  CEF: cefFormatter,
  LEEF: leefFormatter,
};
