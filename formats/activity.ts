// ACTIVITY: the canonical PingOne activity object, as stored (after redaction).
import type { ActivityEvent } from '../src/event/activity-event.js';
import type { Formatter } from '../src/contracts/formatter.js';

export const activityFormatter: Formatter = {
  name: 'ACTIVITY',
  format: (event: ActivityEvent) => event,
  // The item is the stored bytes themselves (views): it costs no copy until the body is joined.
  formatBytes: (event: readonly Buffer[]) => event,
};
