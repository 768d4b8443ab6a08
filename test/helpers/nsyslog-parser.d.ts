// nsyslog-parser ships no types: what the tests use of it.
declare module 'nsyslog-parser' {
  /** One syslog line (RFC 3164 or 5424), with a CEF or LEEF message read into `cef`/`leef` and `fields`. */
  export default function parse(line: string): { type: string; appName?: string; message: string; cef?: Record<string, string>; leef?: Record<string, string>; fields?: Record<string, string> };
}
