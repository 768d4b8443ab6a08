// ACTIVITY: the canonical PingOne activity object, as stored (after redaction).
import type { ActivityEvent } from '../src/event.js';
import type { Formatter } from '../src/pipeline/formatter.js';

export const activityFormatter: Formatter = {
  name: 'ACTIVITY',
  format: (event: ActivityEvent) => event,
  formatJson: (eventJson: string) => eventJson,
};
