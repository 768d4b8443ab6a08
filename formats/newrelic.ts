// NEWRELIC: New Relic's Log API (protocols.md §6.1) or Event API (§6.2).
//   logs + JSON_ARRAY: the detailed form, [{"common":{"attributes":…},"logs":[{timestamp, message, attributes}]}]
//   logs + ND_JSON:    one simplified log object per line, attributes at the top level
//   events:            Event API objects, {"eventType":"PingOneActivity","timestamp":…, flat attributes}
// Attributes are the event flattened to `a.b.c` keys within New Relic's limits.
import type { ActivityEvent } from '../src/event/activity-event.js';
import type { FormatContext, Formatter } from '../src/contracts/formatter.js';
import { flattenAttributes, flattenAttributesText } from './flatten-attributes.js';
import { flattenEventBytes } from './newrelic-bytes.js';

export const newRelicLimits = {
  logs: { maxAttributes: 255, maxNameLength: 255, maxValueLength: 4094 },
  events: { maxAttributes: 255, maxNameLength: 255, maxValueLength: 4096 },
} as const;
export const newRelicEventType = 'PingOneActivity';

function commonAttributes(context: FormatContext) {
  return { logtype: 'pingone:activity', service: 'siem-gateway', 'gateway.environment': context.environment };
}

/** Names the gateway writes in a log record (its own fields and the common attributes). */
const logNames = ['timestamp', 'message', 'logtype', 'service', 'gateway.environment'];
/** Names the gateway writes in an Event API object. */
const eventNames = ['eventType', 'timestamp'];
/** What a top-level key must not be for the byte path (a name beside it could start with it). */
const logFirsts = logNames.map((name) => name.split('.')[0]!);
const eventFirsts = eventNames;

/** The log message: the action type, and its description when there is one. */
function messageText(type: string, description: unknown): string {
  return typeof description === 'string' && description !== '' ? `${type} ${description}` : type;
}

function message(event: ActivityEvent): string {
  return messageText(event.action.type, event.action.description);
}

const eventTypeMember = `"eventType":${JSON.stringify(newRelicEventType)}`;
/** The common attributes as JSON members, per context object (one per subscription). */
const commonMembers = new WeakMap<FormatContext, string>();

function commonText(context: FormatContext): string {
  let text = commonMembers.get(context);
  if (text === undefined) {
    text = JSON.stringify(commonAttributes(context)).slice(1, -1);
    commonMembers.set(context, text);
  }
  return text;
}

function flatten(event: ActivityEvent, context: FormatContext, reserved: readonly string[]) {
  const flat = flattenAttributes(event, context.newRelic.api === 'events' ? newRelicLimits.events : newRelicLimits.logs, reserved);
  if (flat.renamed + flat.dropped + flat.truncated > 0) context.onAttributes?.({ renamed: flat.renamed, dropped: flat.dropped, truncated: flat.truncated });
  return flat.attributes;
}

/** Members joined with commas, the empty ones left out. */
function members(...parts: string[]): string {
  let out = '';
  for (const part of parts) if (part !== '') out = out === '' ? part : `${out},${part}`;
  return out;
}

export const newRelicFormatter: Formatter = {
  name: 'NEWRELIC',
  format(event: ActivityEvent, context: FormatContext) {
    const timestamp = Date.parse(event.recordedAt);
    if (context.newRelic.api === 'events') {
      const attributes = flatten(event, context, eventNames);
      // The Event API takes only strings and numbers.
      for (const name in attributes) if (typeof attributes[name] === 'boolean') attributes[name] = String(attributes[name]);
      return Object.assign(Object.create(null) as Record<string, unknown>, { eventType: newRelicEventType, timestamp }, attributes);
    }
    // Both forms end up as one log record with the common attributes: they count toward the 255.
    const attributes = flatten(event, context, logNames);
    if (context.encoding === 'JSON_ARRAY') return { timestamp, message: message(event), attributes };
    return Object.assign(Object.create(null) as Record<string, unknown>, { timestamp, message: message(event), ...commonAttributes(context) }, attributes);
  },
  formatText(event: ActivityEvent, context: FormatContext): string {
    const timestamp = JSON.stringify(Date.parse(event.recordedAt));
    const events = context.newRelic.api === 'events';
    const flat = flattenAttributesText(event, events ? newRelicLimits.events : newRelicLimits.logs, events ? eventNames : logNames, events);
    if (flat.renamed + flat.dropped + flat.truncated > 0) context.onAttributes?.({ renamed: flat.renamed, dropped: flat.dropped, truncated: flat.truncated });
    if (events) return `{${members(flat.indexMembers, `${eventTypeMember},"timestamp":${timestamp}`, flat.members)}}`;
    const head = `"timestamp":${timestamp},"message":${JSON.stringify(message(event))}`;
    if (context.encoding === 'JSON_ARRAY') return `{${head},"attributes":{${members(flat.indexMembers, flat.members)}}}`;
    return `{${members(flat.indexMembers, head, commonText(context), flat.members)}}`;
  },
  formatBytes(parts: readonly Buffer[], recordedAt: string, context: FormatContext): readonly Buffer[] {
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const events = context.newRelic.api === 'events';
    const flat = flattenEventBytes(bytes, 0, bytes.length, events ? newRelicLimits.events : newRelicLimits.logs, events ? eventNames : logNames, events ? eventFirsts : logFirsts, events);
    // What the walk leaves to the parsed path (see newrelic-bytes.ts).
    if (flat?.actionType === undefined) return [Buffer.from(newRelicFormatter.formatText!(JSON.parse(bytes.toString('utf8')) as ActivityEvent, context))];
    const timestamp = JSON.stringify(Date.parse(recordedAt));
    const { members } = flat;
    const comma = members.length > 0 ? ',' : '';
    let head: string;
    let tail = '}';
    if (events) head = `{${eventTypeMember},"timestamp":${timestamp}${comma}`;
    else {
      const start = `{"timestamp":${timestamp},"message":${JSON.stringify(messageText(flat.actionType, flat.description))}`;
      if (context.encoding === 'JSON_ARRAY') {
        head = `${start},"attributes":{`;
        tail = '}}';
      } else head = `${start},${commonText(context)}${comma}`;
    }
    const headBytes = Buffer.byteLength(head);
    const item = Buffer.allocUnsafe(headBytes + members.length + tail.length);
    item.write(head, 0, 'utf8');
    members.copy(item, headBytes);
    item.write(tail, headBytes + members.length, 'latin1');
    return [item];
  },
  arrayEnvelope(context: FormatContext, itemsMarker: unknown) {
    if (context.newRelic.api === 'events') return [itemsMarker];
    return [{ common: { attributes: commonAttributes(context) }, logs: [itemsMarker] }];
  },
};
