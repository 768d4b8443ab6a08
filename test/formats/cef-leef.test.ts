// Formats CEF and LEEF 2.0 over TCP (RFC 5424 lines, octet-counted) from a real gateway to a real
// socket, read back by parsers nobody here wrote where one exists:
//   - CEF by the npm package nsyslog-parser (RFC 5424 and CEF). It splits the header as CEF says,
//     keeping the escapes, which the test undoes by CEF's rules (`\\` `\|` in the header; `\\` `\=`
//     `\n` `\r` in values). Its extension reader splits at every `=` (it does not implement CEF's
//     `\=`), so values holding `=` are checked with a reader that follows CEF's grammar instead.
//   - LEEF, which no package reads, by a small reader that follows IBM's LEEF 2.0 grammar, itself
//     checked against the examples of IBM's specification.
// Hostile values (pipes, equals signs, backslashes, line breaks, tabs, non-ASCII) come back exactly,
// but for what a format cannot carry, which becomes a space (CEF: a line break in the header;
// LEEF: a tab or line break in a value, a pipe, backslash or line break in the header).
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import parseSyslog from 'nsyslog-parser';
import { cefLine } from '../../formats/cef.js';
import { leefLine } from '../../formats/leef.js';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { freePort } from '../helpers/free-port.js';
import { sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';

/** CEF's grammar: seven `|`-separated header fields (`\|`, `\\` escaped), then `key=value` pairs whose values run to the next ` key=`. */
function readCef(line: string): { header: string[]; fields: Record<string, string> } {
  const header: string[] = [];
  let at = 0;
  let current = '';
  while (header.length < 7) {
    const char = line[at++];
    if (char === undefined) throw new Error('the CEF header ends early');
    if (char === '\\') current += line[at++];
    else if (char === '|') {
      header.push(current);
      current = '';
    } else current += char;
  }
  const fields: Record<string, string> = {};
  const extension = line.slice(at);
  const keys = [...extension.matchAll(/(?:^| )([A-Za-z0-9_]+)=/g)].filter((match) => !isEscaped(extension, match.index + match[0].length - 1));
  keys.forEach((match, index) => {
    const start = match.index + match[0].length;
    const end = index + 1 < keys.length ? keys[index + 1]!.index : extension.length;
    fields[match[1]!] = unescapeCefValue(extension.slice(start, end));
  });
  return { header, fields };
}

/** Whether the character at `at` is escaped (an odd run of backslashes before it). */
function isEscaped(text: string, at: number): boolean {
  let count = 0;
  for (let i = at - 1; i >= 0 && text[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

const unescapeCefHeader = (value: string) => value.replace(/\\([\\|])/g, '$1');
const unescapeCefValue = (value: string) => value.replace(/\\([\\=nr])/g, (_all, char: string) => (char === 'n' ? '\n' : char === 'r' ? '\r' : char));

/**
 * IBM's LEEF 2.0 grammar (https://www.ibm.com/docs/en/dsm?topic=overview-leef-event-components):
 * `LEEF:Version|Vendor|Product|Version|EventID|` and, in 2.0, `DelimiterCharacter|`: "a single
 * character or the hex value … prefixed by 0x or x, followed by a series of 1-4 characters
 * (0-9A-Fa-f)"; then `key=value` attributes separated by the delimiter (a tab in 1.0). No escapes.
 */
function readLeef(line: string): { version: string; vendor: string; product: string; productVersion: string; eventId: string; delimiter: string; attributes: Record<string, string> } {
  const match = /^LEEF:(1\.0|2\.0)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|/.exec(line);
  if (match === null) throw new Error('not a LEEF header');
  let rest = line.slice(match[0].length);
  let delimiter = '\t';
  if (match[1] === '2.0') {
    const end = rest.indexOf('|');
    const declared = rest.slice(0, end);
    const hex = /^(?:0x|x)([0-9A-Fa-f]{1,4})$/.exec(declared);
    delimiter = hex ? String.fromCharCode(parseInt(hex[1]!, 16)) : declared;
    if (delimiter.length !== 1) throw new Error(`delimiter "${declared}" is neither one character nor its hex value`);
    rest = rest.slice(end + 1);
  }
  const attributes: Record<string, string> = {};
  for (const pair of rest.split(delimiter)) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    attributes[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return { version: match[1]!, vendor: match[2]!, product: match[3]!, productVersion: match[4]!, eventId: match[5]!, delimiter, attributes };
}

test('the LEEF reader reads the examples of IBM\'s LEEF 2.0 specification', () => {
  // IBM, "LEEF event components" (LEEF header and event attributes examples), and the caret-delimited
  // event of the LEEF 2.0 guide ("LEEF:2.0|Lancope|StealthWatch|1.0|41|^|…").
  assert.deepEqual(readLeef('LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black'), {
    version: '1.0', vendor: 'Microsoft', product: 'MSExchange', productVersion: '4.0 SP1', eventId: '15345', delimiter: '\t',
    attributes: { src: '192.0.2.0', dst: '172.50.123.1', sev: '5', cat: 'anomaly', srcPort: '81', dstPort: '21', usrName: 'joe.black' },
  });
  assert.deepEqual(readLeef('LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21').attributes, { src: '10.0.1.8', dst: '10.0.0.5', sev: '5', srcPort: '81', dstPort: '21' });
  // The delimiter table: a character, or its hex value as x.. or 0x...
  for (const declared of ['^', 'x5E', '0x5e']) assert.equal(readLeef(`LEEF:2.0|V|P|1|E|${declared}|a=1^b=2`).attributes.b, '2', declared);
  assert.deepEqual(readLeef('LEEF:2.0|V|P|1|E|x09|a=1\tb=x=y').attributes, { a: '1', b: 'x=y' });
});

const hostile: ActivityEvent = {
  id: 'evt 1\\0|x',
  recordedAt: '2026-12-07T10:15:00.250Z',
  action: { type: 'USER.UPDATED|x\\y', description: 'Ändrad | användare \\ — 用户 ^ caret' },
  actors: { user: { name: 'bob smith\\admin|ops\nsecond line\r\tünïcödé' } },
  resources: [{ type: 'USER', name: 'alice  two  spaces ☃' }],
  source: { ipAddress: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux) \\ | ^ 😀' },
  result: { status: 'FAILED' },
};
const withEquals: ActivityEvent = { ...hostile, id: 'id=1', actors: { user: { name: 'a=b \\= c' } }, resources: [{ type: 'USER', name: 'x = y=' }], source: { ipAddress: '203.0.113.7', userAgent: 'k=v; w=x' } };

/** A gateway delivering `format` over TCP as RFC 5424 lines to a socket here; the syslog messages received. */
async function syslogOverTcp(t: TestContext, format: 'CEF' | 'LEEF', events: ActivityEvent[]): Promise<string[]> {
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      // RFC 6587 octet counting: "<length> <message>".
      for (;;) {
        const space = buffered.indexOf(0x20);
        if (space === -1) return;
        const length = Number(buffered.subarray(0, space).toString());
        if (buffered.length < space + 1 + length) return;
        messages.push(buffered.subarray(space + 1, space + 1 + length).toString('utf8'));
        buffered = buffered.subarray(space + 1 + length);
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  const { ingestUrl } = await startGateway(t, {
    extra: `subscriptions:
  - id: syslog
    environment: prod
    protocol: TCP_IP
    format: ${format}
    connectionDetails: { url: "tcp://127.0.0.1:${port}" }
    filterOptions: { includedActionTypes: ["*"], ipAddressExposed: true, userAgentExposed: true }
    payloadOptions: { flushMs: 20, payloadFormat: { tcp: { format: RFC_LOGLINE } } }
`,
  });
  await sendEvents(ingestUrl, events);
  await until(() => messages.length === events.length, 10_000);
  return messages;
}

test('CEF over TCP, read by nsyslog-parser: the header and every extension value come back exactly', async (t) => {
  const [message, equals] = await syslogOverTcp(t, 'CEF', [hostile, withEquals]);
  const entry = parseSyslog(message!) as { type: string; appName: string; cef: Record<string, string>; fields: Record<string, string> };
  assert.equal(entry.type, 'CEF');
  assert.equal(entry.appName, 'siem-gateway');
  assert.deepEqual(Object.fromEntries(Object.entries(entry.cef).filter(([name]) => name !== 'extension').map(([name, value]) => [name, unescapeCefHeader(value)])), {
    version: 'CEF:0', deviceVendor: 'Ping Identity', deviceProduct: 'PingOne', deviceVersion: '', deviceEventClassID: 'USER.UPDATED|x\\y', name: 'Ändrad | användare \\ — 用户 ^ caret', severity: '7',
  });
  const fields = Object.fromEntries(Object.entries(entry.fields).map(([name, value]) => [name, unescapeCefValue(value)]));
  assert.deepEqual(fields, {
    suser: 'bob smith\\admin|ops\nsecond line\r\tünïcödé',
    duser: 'alice  two  spaces ☃',
    src: '203.0.113.7',
    requestClientApplication: 'Mozilla/5.0 (X11; Linux) \\ | ^ 😀',
    rt: String(Date.parse(hostile.recordedAt)),
    outcome: 'failure',
    externalId: 'evt 1\\0|x',
  });
  // Equals signs: escaped as CEF says (`\=`), read back by CEF's grammar.
  assert.equal(parseSyslog(equals!).type, 'CEF');
  const cef = equals!.slice(equals!.indexOf('CEF:0|'));
  assert.deepEqual(readCef(cef).fields, { suser: 'a=b \\= c', duser: 'x = y=', src: '203.0.113.7', requestClientApplication: 'k=v; w=x', rt: String(Date.parse(hostile.recordedAt)), outcome: 'failure', externalId: 'id=1' });
  assert.equal(cef, cefLine(withEquals), 'the line on the wire is the formatter\'s');
});

test('LEEF 2.0 over TCP, read by the specification\'s grammar: everything back exactly but the characters LEEF cannot carry', async (t) => {
  const [message] = await syslogOverTcp(t, 'LEEF', [hostile]);
  const entry = parseSyslog(message!) as { type: string };
  assert.equal(entry.type, 'LEEF', 'nsyslog-parser recognises the line');
  const leef = readLeef(message!.slice(message!.indexOf('LEEF:2.0|')));
  assert.deepEqual({ ...leef, attributes: undefined }, { version: '2.0', vendor: 'Ping Identity', product: 'PingOne', productVersion: '', eventId: 'USER.UPDATED x y', delimiter: '\t', attributes: undefined });
  assert.deepEqual(leef.attributes, {
    usrName: 'bob smith\\admin|ops second line  ünïcödé',
    duser: 'alice  two  spaces ☃',
    src: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (X11; Linux) \\ | ^ 😀',
    outcome: 'failure',
    externalId: 'evt 1\\0|x',
    devTime: '2026-12-07T10:15:00.250Z',
    devTimeFormat: "yyyy-MM-dd'T'HH:mm:ss.SSSX",
    sev: '7',
    cat: 'Ändrad | användare \\ — 用户 ^ caret',
  });
  assert.equal(readLeef(leefLine(withEquals)).attributes.usrName, 'a=b \\= c', 'an equals sign in a value is kept: attributes split at the first one');
});
