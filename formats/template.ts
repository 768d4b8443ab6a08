// TEMPLATE: one request per event, its body, URL path and header values written by the operator
// with PingAM's `${name}` placeholders (names: formats/session-properties.ts), each value escaped
// for where it lands (src/pipeline/placeholder-template.ts).
import type { ActivityEvent } from '../src/event/activity-event.js';
import type { FormatContext, Formatter } from '../src/contracts/formatter.js';
import type { RequestTarget } from '../src/contracts/transport.js';
import { fillTemplate } from '../src/config/placeholder-template.js';
import { eventLookup } from './session-properties.js';

function templateOf(context: FormatContext) {
  if (context.template === undefined) throw new Error('format TEMPLATE needs a template');
  return context.template;
}

export const templateFormatter: Formatter = {
  name: 'TEMPLATE',
  format(event: ActivityEvent, context: FormatContext) {
    return fillTemplate(templateOf(context).body, eventLookup(event));
  },
  perRequest: {
    contentType: (context) => templateOf(context).contentType,
    target(event: ActivityEvent, context: FormatContext): RequestTarget {
      const { path, headers } = templateOf(context);
      if (path === undefined && headers.length === 0) return {};
      const lookup = eventLookup(event);
      return {
        ...(path === undefined ? {} : { path: fillTemplate(path, lookup) }),
        ...(headers.length === 0 ? {} : { headers: Object.fromEntries(headers.map(([name, template]) => [name, fillTemplate(template, lookup)])) }),
      };
    },
  },
};
