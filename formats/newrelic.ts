// NEWRELIC: New Relic's Log API (protocols.md §6.1) or Event API (§6.2).
//   logs + JSON_ARRAY: the detailed form, [{"common":{"attributes":…},"logs":[{timestamp, message, attributes}]}]
//   logs + ND_JSON:    one simplified log object per line, attributes at the top level
//   events:            Event API objects, {"eventType":"PingOneActivity","timestamp":…, flat attributes}
// Attributes are the event flattened to `a.b.c` keys within New Relic's limits.
import type { ActivityEvent } from '../src/event.js';
import type { FormatContext, Formatter } from '../src/pipeline/formatter.js';
import { flattenAttributes } from './flatten-attributes.js';

export const newRelicLimits = {
  logs: { maxAttributes: 255, maxNameLength: 255, maxValueLength: 4094 },
  events: { maxAttributes: 255, maxNameLength: 255, maxValueLength: 4096 },
} as const;
export const newRelicEventType = 'PingOneActivity';

function commonAttributes(context: FormatContext) {
  return { logtype: 'pingone:activity', service: 'siem-gateway', 'gateway.environment': context.environment };
}

function message(event: ActivityEvent): string {
  const description = event.action.description;
  return typeof description === 'string' && description !== '' ? `${event.action.type} ${description}` : event.action.type;
}

/** Copies `attributes` into `target` after the gateway's own keys, which win on a clash. */
function withAttributes(target: Record<string, unknown>, attributes: Record<string, unknown>, convert?: (value: unknown) => unknown) {
  const out = Object.assign(Object.create(null) as Record<string, unknown>, target);
  for (const key in attributes) if (!(key in target)) out[key] = convert ? convert(attributes[key]) : attributes[key];
  return out;
}

export const newRelicFormatter: Formatter = {
  name: 'NEWRELIC',
  format(event: ActivityEvent, context: FormatContext) {
    const timestamp = Date.parse(event.recordedAt);
    if (context.newRelic.api === 'events') {
      const flat = flattenAttributes(event, newRelicLimits.events, 2);
      // The Event API takes only strings and numbers.
      return withAttributes({ eventType: newRelicEventType, timestamp }, flat.attributes, (value) => (typeof value === 'boolean' ? String(value) : value));
    }
    if (context.encoding === 'JSON_ARRAY') {
      const flat = flattenAttributes(event, newRelicLimits.logs);
      return { timestamp, message: message(event), attributes: flat.attributes };
    }
    const common = commonAttributes(context);
    const flat = flattenAttributes(event, newRelicLimits.logs, 2 + Object.keys(common).length);
    return withAttributes({ timestamp, message: message(event), ...common }, flat.attributes);
  },
  arrayEnvelope(context: FormatContext, itemsMarker: unknown) {
    if (context.newRelic.api === 'events') return [itemsMarker];
    return [{ common: { attributes: commonAttributes(context) }, logs: [itemsMarker] }];
  },
};
