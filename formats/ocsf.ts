// OCSF: each event as one Open Cybersecurity Schema Framework event of the Identity & Access
// Management category (schema 1.1.0 by default), whatever the IdP it came from. The mapping is in
// formats/ocsf/: one table per IdP, and the fields in ocsf-event.ts.
import type { FormatContext, Formatter } from '../src/contracts/formatter.js';
import type { ActivityEvent } from '../src/event/activity-event.js';
import { ocsfEvent } from './ocsf/ocsf-event.js';

export const ocsfFormatter: Formatter = {
  name: 'OCSF',
  format(event: ActivityEvent, context: FormatContext) {
    return ocsfEvent(event, context.ocsf ?? { version: '1.1.0', includeRaw: false });
  },
};
