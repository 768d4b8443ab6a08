// ACTIVITY: the canonical PingOne activity object, as stored (after redaction).
import type { ActivityEvent } from '../src/event.js';
import type { Formatter } from '../src/pipeline/formatter.js';

export const activityFormatter: Formatter = {
  name: 'ACTIVITY',
  format: (event: ActivityEvent) => event,
  // One part is a view of the stored bytes: the item costs no copy.
  formatBytes: (event: readonly Buffer[]) => (event.length === 1 ? event[0]! : Buffer.concat(event)),
};
