// RFC_LOGLINE: each event as an RFC 5424 syslog message, framed by RFC 6587 octet counting
// ("<length> <message>"), so any byte, a newline included, can be in the message; or, for
// receivers that split on newlines, one message per line with CR and LF inside it escaped.
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
// PRI: facility authpriv (10); severity informational (6), or warning (4) when the event's result
// is a failure. TIMESTAMP: recordedAt. MSGID: the action type. STRUCTURED-DATA: the subscription's
// payloadFormat.tcp.additionalAttributes. MSG: the formatted event (compact JSON).
import { hostname } from 'node:os';
import type { JournalRecord } from '../event/activity-event.js';
import { isFailureStatus } from '../event/result-status.js';

const facility = 10;
const severity = { informational: 6, warning: 4 } as const;
/** The SD-ID for additionalAttributes: 32473 is the enterprise number RFC 5612 reserves for examples. */
export const structuredDataId = 'siem-gateway@32473';

/** printable US-ASCII (33..126) only, at most `max` characters; "-" (NILVALUE) when nothing is left. */
function headerField(text: string | undefined, max: number): string {
  const clean = (text ?? '').replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}

/**
 * MSGID: the action type, in the characters action types are made of (letters, digits, `.`, `_`,
 * `:`, `-`); RFC 5424 allows any printable character, but receivers' parsers (nsyslog-parser among
 * them) stop reading the header at a `|` or `\` there. The type itself is in the message.
 */
function messageId(actionType: string): string {
  return headerField(actionType.replace(/[^A-Za-z0-9._:-]/g, '_'), 32);
}

function structuredData(attributes: Record<string, string> | undefined): string {
  const entries = Object.entries(attributes ?? {});
  if (entries.length === 0) return '-';
  const params = entries.map(([name, value]) => ` ${name}="${value.replace(/[\\"\]]/g, (c) => `\\${c}`)}"`).join('');
  return `[${structuredDataId}${params}]`;
}

export type SyslogFraming = 'OCTET_COUNTING' | 'NEWLINE';

export function syslogFramer(attributes: Record<string, string> | undefined, framing: SyslogFraming = 'OCTET_COUNTING'): (item: Buffer, record: JournalRecord) => Buffer {
  const host = headerField(hostname(), 255);
  const data = structuredData(attributes);
  return (item, record) => {
    const event = record.event;
    const pri = facility * 8 + (isFailureStatus((event.result as { status?: unknown } | undefined)?.status) ? severity.warning : severity.informational);
    const header = Buffer.from(`<${pri}>1 ${new Date(event.recordedAt).toISOString()} ${host} siem-gateway - ${messageId(event.action.type)} ${data} `);
    if (framing === 'NEWLINE') return Buffer.concat([escapeLineBreaks(header), escapeLineBreaks(item), newline]);
    const length = header.length + item.length;
    return Buffer.concat([Buffer.from(`${length} `), header, item], String(length).length + 1 + length);
  };
}

const newline = Buffer.from('\n');

/** CR and LF as the two characters `\r` and `\n`, so one message stays one line. Compact JSON has none; a configured attribute may. */
function escapeLineBreaks(bytes: Buffer): Buffer {
  if (!bytes.includes(0x0a) && !bytes.includes(0x0d)) return bytes;
  return Buffer.from(bytes.toString('utf8').replace(/\r/g, '\\r').replace(/\n/g, '\\n'));
}
