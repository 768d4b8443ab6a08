// LEEF 2.0 (IBM QRadar Log Event Extended Format): one line per event, for syslog SIEMs; over TCP
// the MSG of an RFC 5424 line (RFC_LOGLINE), over HTTPS the lines one after another.
//   LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|key=value<delimiter>key=value…
// The delimiter is a tab, declared as x09. LEEF has no escape at all (IBM: "avoid tab, pipe, or
// caret delimiters in your event payload keys and values"): a tab, CR or LF in a value, and a
// pipe, backslash, CR or LF in a header field, become a space; everything else (`=`, `\`, `|` and `^` in
// values, any Unicode) is kept as it is, since attributes split at the delimiter and the first `=`.
import type { Formatter } from '../src/contracts/formatter.js';
import type { ActivityEvent } from '../src/event/activity-event.js';
import { syslogFields } from './syslog-fields.js';

/** LEEF's predefined keys where it has one (usrName, devTime, sev, cat, src); custom keys otherwise. */
const leefKeys: Record<string, string> = { suser: 'usrName', requestClientApplication: 'userAgent' };
// A backslash too: LEEF defines no escape, but readers that take `\|` for one would misplace the fields.
const leefHeader = (value: string) => value.replace(/[|\\\r\n]/g, ' ');
const leefValue = (value: string) => value.replace(/[\t\r\n]/g, ' ');

/** One event as a LEEF 2.0 line. */
export function leefLine(event: ActivityEvent): string {
  const { vendor, product, signature, name, failure, fields } = syslogFields(event);
  // devTime in ISO 8601, with the Java date pattern QRadar reads it by (LEEF "Custom event date format").
  const time = new Date(event.recordedAt).toISOString();
  const attributes = [...fields.filter(([key]) => key !== 'rt'), ['devTime', time], ['devTimeFormat', "yyyy-MM-dd'T'HH:mm:ss.SSSX"], ['sev', failure ? '7' : '3'], ['cat', name]] as [string, string | undefined][];
  const body = attributes.filter(([, value]) => value !== undefined).map(([key, value]) => `${leefKeys[key] ?? key}=${leefValue(value!)}`).join('\t');
  return `LEEF:2.0|${leefHeader(vendor)}|${leefHeader(product)}||${leefHeader(signature)}|x09|${body}`;
}

export const leefFormatter: Formatter = {
  name: 'LEEF',
  bodyFraming: () => ({ contentType: 'text/plain; charset=utf-8', prefix: '', separator: '\n', suffix: '\n' }),
  format: (event: ActivityEvent) => leefLine(event),
};
