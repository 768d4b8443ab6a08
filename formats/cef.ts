// CEF (ArcSight Common Event Format, revision 25): one line per event, for syslog SIEMs; over TCP
// the MSG of an RFC 5424 line (RFC_LOGLINE), over HTTPS the lines one after another.
//   CEF:0|Vendor|Product|Version|Signature ID|Name|Severity|Extension
// The fields are syslog-fields.ts's. Escaping as the specification requires: `\` and `|` in the
// header as `\\` and `\|` (a line break there, which CEF cannot carry, as a space); `\`, `=`, CR
// and LF in extension values as `\\`, `\=`, `\r`, `\n`.
import type { Formatter } from '../src/contracts/formatter.js';
import type { ActivityEvent } from '../src/event/activity-event.js';
import { syslogFields } from './syslog-fields.js';

const cefHeader = (value: string) => value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n?|\n/g, ' ');
const cefValue = (value: string) => value.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r/g, '\\r').replace(/\n/g, '\\n');

/** One event as a CEF line. */
export function cefLine(event: ActivityEvent): string {
  const { vendor, product, signature, name, failure, fields } = syslogFields(event);
  const extension = fields.filter(([, value]) => value !== undefined).map(([key, value]) => `${key}=${cefValue(value!)}`).join(' ');
  // Device version: the IdP does not say; severity 0-10: 3 for success, 7 for a failure.
  return `CEF:0|${cefHeader(vendor)}|${cefHeader(product)}||${cefHeader(signature)}|${cefHeader(name)}|${failure ? 7 : 3}|${extension}`;
}

export const cefFormatter: Formatter = {
  name: 'CEF',
  bodyFraming: () => ({ contentType: 'text/plain; charset=utf-8', prefix: '', separator: '\n', suffix: '\n' }),
  format: (event: ActivityEvent) => cefLine(event),
};
