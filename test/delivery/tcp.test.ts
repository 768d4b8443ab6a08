// TCP/IP delivery against real servers on loopback: a TLS server that requires client
// certificates, syslog-ng receiving RFC_LOGLINE over TLS with octet counting (Debian's syslog-ng,
// installed by .ci/run), a server that cuts a batch in the middle, and one that is down at start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net, { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EncodedBatch } from '../../src/contracts/transport.js';
import { TcpTransport } from '../../transports/tcp.js';
import { createCa } from '../helpers/certificates.js';
import { freePort } from '../helpers/free-port.js';
import { sendEvents, startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const events = (prefix: string, count: number, extra: (i: number) => Record<string, unknown> = () => ({})) =>
  Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, recordedAt: `2026-11-23T10:15:${String(i % 60).padStart(2, '0')}.250Z`, action: { type: 'USER.CREATED' }, result: { status: 'SUCCESS' }, ...extra(i) }));


async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** A server recording what each connection sent, as text. */
function recordingServer(onConnection: (socket: Socket, index: number) => void = () => undefined) {
  const received: string[] = [];
  const sockets: Socket[] = [];
  const handle = (socket: Socket) => {
    const index = received.push('') - 1;
    sockets.push(socket);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received[index] += chunk));
    socket.on('error', () => undefined);
    onConnection(socket, index);
  };
  // Complete lines only: the last one may still be arriving.
  const ids = (from = 0) => {
    const text = received.slice(from).join('');
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((line) => line !== '').map((line) => (JSON.parse(line) as { id: string }).id);
  };
  /** The complete lines one connection received. */
  const idsOf = (index: number) => {
    const text = received[index] ?? '';
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((line) => line !== '').map((line) => (JSON.parse(line) as { id: string }).id);
  };
  return { received, sockets, handle, ids, idsOf };
}

test('tls:// with mTLS: JSON_DOC lines reach a server that requires client certificates; without a key pair the handshake fails and nothing is lost', async (t) => {
  const ca = createCa();
  const server = ca.issue({ commonName: 'collector.test', ips: ['127.0.0.1'] });
  const client = ca.issue({ commonName: 'gateway-client', client: true });
  const recorder = recordingServer();
  const peers: string[] = [];
  const tls = createTlsServer({ cert: server.cert, key: server.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (socket: TLSSocket) => {
    peers.push(String(socket.getPeerCertificate().subject?.CN));
    recorder.handle(socket);
  });
  tls.on('tlsClientError', () => undefined);
  const port = await listen(tls);
  t.after(() => {
    for (const socket of recorder.sockets) socket.destroy();
    return close(tls);
  });
  const files = tempDir(t);
  writeFileSync(join(files, 'ca.pem'), ca.cert);
  writeFileSync(join(files, 'c.pem'), client.cert);
  writeFileSync(join(files, 'k.pem'), client.key);
  const { ingestUrl, lines } = await startGateway(t, {
    extra: `keys: [ { id: client, environment: prod, certFile: ${join(files, 'c.pem')}, keyFile: ${join(files, 'k.pem')} } ]
certificates: [ { id: ca, environment: prod, file: ${join(files, 'ca.pem')} } ]
subscriptions:
  - id: mtls
    environment: prod
    protocol: TCP_IP
    connectionDetails: { url: "tls://127.0.0.1:${port}" }
    tlsClientAuthKeyPair: { id: client }
    trustedCertificates: [ { id: ca } ]
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20, payloadFormat: { tcp: { format: JSON_DOC } } }
  - id: no-key
    environment: prod
    protocol: TCP_IP
    connectionDetails: { url: "tls://127.0.0.1:${port}" }
    trustedCertificates: [ { id: ca } ]
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20 }
`,
  });
  await sendEvents(ingestUrl, events('a', 3));
  await sendEvents(ingestUrl, events('b', 2));
  await until(() => recorder.ids().length === 5, 10_000);
  assert.deepEqual(recorder.ids(), ['a0', 'a1', 'a2', 'b0', 'b1']);
  assert.deepEqual(peers, ['gateway-client']);
  // JSON_DOC: one ACTIVITY document per line, the last one ended too.
  assert.ok(recorder.received.join('').endsWith('}\n'));
  await until(() => lines.some((line) => line.msg === 'delivery' && line.subscription === 'no-key' && line.outcome === 'failed'), 10_000);
  assert.equal(lines.filter((line) => line.msg === 'delivery' && line.subscription === 'no-key' && line.outcome === 'delivered').length, 0);
});

test('RFC_LOGLINE: octet-counted RFC 5424 lines, byte-exact (UTF-8 counted in bytes), failures at warning severity', async (t) => {
  const recorder = recordingServer();
  const server = createTcpServer(recorder.handle);
  const port = await listen(server);
  t.after(() => {
    for (const socket of recorder.sockets) socket.destroy();
    return close(server);
  });
  const { ingestUrl } = await startGateway(t, {
    extra: `subscriptions:
  - id: syslog
    environment: prod
    protocol: TCP_IP
    connectionDetails: { url: "tcp://127.0.0.1:${port}" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions:
      flushMs: 20
      payloadFormat: { tcp: { format: RFC_LOGLINE, additionalAttributes: { env: "prod", note: 'a "quoted" ] value' } } }
`,
  });
  await sendEvents(ingestUrl, [
    { id: 'ok-1', recordedAt: '2026-11-23T11:15:00.250+01:00', action: { type: 'USER.CREATED' }, result: { status: 'SUCCESS' }, actors: { user: { name: 'Zoë Ünal' } } },
    { id: 'fail-1', recordedAt: '2026-11-23T10:16:00Z', action: { type: 'AUTHENTICATION.FAILED' }, result: { status: 'FAILED' } },
  ]);
  await until(() => Buffer.byteLength(recorder.received.join('')) > 0 && recorder.received.join('').includes('fail-1'), 10_000);
  const stream = Buffer.from(recorder.received.join(''));
  const messages: string[] = [];
  for (let at = 0; at < stream.length; ) {
    const space = stream.indexOf(0x20, at);
    const length = Number(stream.toString('latin1', at, space));
    assert.ok(Number.isInteger(length) && length > 0, `an octet count at byte ${at}`);
    messages.push(stream.toString('utf8', space + 1, space + 1 + length));
    at = space + 1 + length;
  }
  const host = hostname();
  const sd = '[siem-gateway@32473 env="prod" note="a \\"quoted\\" \\] value"]';
  assert.equal(messages.length, 2);
  assert.equal(messages[0]!.slice(0, messages[0]!.indexOf('{')), `<86>1 2026-11-23T10:15:00.250Z ${host} siem-gateway - USER.CREATED ${sd} `);
  assert.equal(messages[1]!.slice(0, messages[1]!.indexOf('{')), `<84>1 2026-11-23T10:16:00.000Z ${host} siem-gateway - AUTHENTICATION.FAILED ${sd} `);
  const first = JSON.parse(messages[0]!.slice(messages[0]!.indexOf('{'))) as { id: string; actors: { user: { name: string } } };
  assert.equal(first.id, 'ok-1');
  assert.equal(first.actors.user.name, 'Zoë Ünal');
});

test('a server that closes the connection in the middle of a batch: the batch is resent whole after reconnecting, nothing lost', async (t) => {
  let cut = 0;
  const recorder = recordingServer((socket, index) => {
    if (index > 0) return;
    // The first connection reads the start of the batch, then resets. The batch (about 12 MB) is
    // larger than the socket buffers, so its write is still under way when the reset arrives,
    // however late the server gets to run.
    socket.once('data', () => {
      cut++;
      socket.resetAndDestroy();
    });
  });
  const server = createTcpServer(recorder.handle);
  const port = await listen(server);
  t.after(() => {
    for (const socket of recorder.sockets) socket.destroy();
    return close(server);
  });
  const { ingestUrl, lines } = await startGateway(t, {
    maxBodyKB: 16_384,
    extra: `subscriptions:
  - id: cut
    environment: prod
    protocol: TCP_IP
    connectionDetails: { url: "tcp://127.0.0.1:${port}" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 50, payloadFormat: { tcp: { format: JSON_DOC } } }
`,
  });
  const batch = events('c', 400, () => ({ padding: 'x'.repeat(30_000) }));
  await sendEvents(ingestUrl, batch);
  await until(() => recorder.received.length >= 2 && recorder.ids(1).length >= 400, 30_000);
  assert.equal(cut, 1);
  assert.deepEqual(recorder.ids(1), batch.map((event) => event.id));
  await until(() => lines.some((line) => line.msg === 'delivery' && line.outcome === 'delivered'), 10_000);
  const attempts = lines.filter((line) => line.msg === 'delivery');
  assert.deepEqual(attempts.map((line) => [line.attempt, line.outcome]), [[1, 'failed'], [2, 'delivered']]);
  assert.match(String(attempts[0]!.error), /ECONNRESET|EPIPE|closed/);
});

test('a peer that half-closes, and a peer that stops reading: both are detected and the batch goes whole to the next connection', async (t) => {
  const recorder = recordingServer((socket, index) => {
    if (index === 0) socket.end(); // FIN at once: the peer is going away
    if (index === 1) socket.pause(); // accepts, never reads: the gateway's writes back up
  });
  const server = createTcpServer({ pauseOnConnect: false }, recorder.handle);
  const port = await listen(server);
  t.after(() => {
    for (const socket of recorder.sockets) socket.destroy();
    return close(server);
  });
  const { ingestUrl, lines } = await startGateway(t, {
    maxBodyKB: 16_384,
    extra: `subscriptions:
  - id: peers
    environment: prod
    protocol: TCP_IP
    connectionDetails: { url: "tcp://127.0.0.1:${port}" }
    filterOptions: { includedActionTypes: ["*"] }
    delivery: { timeoutMs: 2000 }
    payloadOptions: { flushMs: 20, payloadFormat: { tcp: { format: JSON_DOC } } }
`,
  });
  // Large enough (about 12 MB) that a peer that does not read fills the socket buffers.
  const batch = events('p', 400, () => ({ padding: 'y'.repeat(30_000) }));
  await sendEvents(ingestUrl, batch);
  // A later connection carries the whole batch (on a loaded machine a slow reader may cost one more try).
  const whole = () => recorder.received.findIndex((_, index) => index >= 2 && recorder.idsOf(index).length === 400);
  await until(() => whole() >= 2, 30_000);
  assert.deepEqual(recorder.idsOf(whole()), batch.map((event) => event.id));
  const failed = lines.filter((line) => line.msg === 'delivery' && line.outcome === 'failed');
  assert.ok(failed.some((line) => /closed|EPIPE|ECONNRESET/.test(String(line.error))), 'the half-closed peer is seen');
  assert.ok(failed.some((line) => /no progress for 2000 ms/.test(String(line.error))), 'the peer that stopped reading is seen');
});

test('a server down at start: attempts fail and are retried with backoff, then everything is delivered in order', async (t) => {
  const port = await freePort();
  const { ingestUrl, lines } = await startGateway(t, {
    extra: `subscriptions:
  - id: later
    environment: prod
    protocol: TCP_IP
    connectionDetails: { url: "tcp://127.0.0.1:${port}" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20, payloadFormat: { tcp: { format: JSON_DOC } } }
`,
  });
  await sendEvents(ingestUrl, events('d', 4));
  await until(() => lines.filter((line) => line.msg === 'delivery' && line.outcome === 'failed').length >= 2, 10_000);
  await sendEvents(ingestUrl, events('e', 2));
  const recorder = recordingServer();
  const server = createTcpServer(recorder.handle);
  await listen(server, port);
  t.after(() => {
    for (const socket of recorder.sockets) socket.destroy();
    return close(server);
  });
  await until(() => recorder.ids().length === 6, 20_000);
  assert.deepEqual(recorder.ids(), ['d0', 'd1', 'd2', 'd3', 'e0', 'e1']);
  assert.match(String(lines.find((line) => line.msg === 'delivery')!.error), /ECONNREFUSED/);
});

/**
 * syslog-ng in the foreground: by default a TLS (RFC 5425, octet-counted) source that requires
 * client certificates; `source` replaces it (given the port).
 */
async function startSyslogNg(t: TestContext, dir: string, files: { ca: string; cert: string; key: string } | undefined, source?: (port: number) => string): Promise<{ port: number; output: string }> {
  const port = await freePort();
  const output = join(dir, 'received.log');
  const config = join(dir, 'syslog-ng.conf');
  const tlsSource = () => `syslog(ip("127.0.0.1") port(${port}) transport("tls") max-connections(10)
    tls(key-file("${files!.key}") cert-file("${files!.cert}") ca-file("${files!.ca}") peer-verify(required-trusted)))`;
  writeFileSync(config, `@version: 3.38
options { keep-hostname(yes); stats-freq(0); frac-digits(3); };
source s_in { ${source ? source(port) : tlsSource()}; };
destination d_file { file("${output}" template("\${PRI}\\t\${MSGID}\\t\${SDATA}\\t\${PROGRAM}\\t\${ISODATE}\\t\${MSG}\\n")); };
log { source(s_in); destination(d_file); };
`);
  const child = spawn('syslog-ng', ['-F', '--no-caps', '-f', config, '-R', join(dir, 'persist'), '-p', join(dir, 'pid'), '-c', join(dir, 'ctl')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('error', (error) => (log += String(error)));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const accepting = async () =>
    new Promise<boolean>((resolve) => {
      const socket = new net.Socket();
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
    });
  await until(accepting, 15_000).catch(() => assert.fail(`syslog-ng did not start (is Debian's syslog-ng installed?):\n${log}`));
  return { port, output };
}

test('syslog-ng receives RFC_LOGLINE over TLS with octet counting and a client certificate: every event arrives and parses', async (t) => {
  const dir = tempDir(t);
  const ca = createCa();
  const server = ca.issue({ commonName: 'syslog.test', ips: ['127.0.0.1'] });
  const client = ca.issue({ commonName: 'gateway-client', client: true });
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
  writeFileSync(files.ca, ca.cert);
  writeFileSync(files.cert, server.cert);
  writeFileSync(files.key, server.key);
  writeFileSync(join(dir, 'c.pem'), client.cert);
  writeFileSync(join(dir, 'k.pem'), client.key);
  const syslog = await startSyslogNg(t, dir, files);
  const { ingestUrl } = await startGateway(t, {
    extra: `keys: [ { id: client, environment: prod, certFile: ${join(dir, 'c.pem')}, keyFile: ${join(dir, 'k.pem')} } ]
certificates: [ { id: ca, environment: prod, file: ${files.ca} } ]
subscriptions:
  - id: syslog-ng
    environment: prod
    protocol: TCP_IP
    format: SPLUNK
    connectionDetails: { url: "tls://127.0.0.1:${syslog.port}" }
    tlsClientAuthKeyPair: { id: client }
    trustedCertificates: [ { id: ca } ]
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions:
      flushMs: 20
      maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 25 }
      payloadFormat: { tcp: { format: RFC_LOGLINE, additionalAttributes: { tenant: acme } } }
`,
  });
  const sent = events('s', 60, (i) => (i % 10 === 3 ? { result: { status: 'FAILED' }, action: { type: 'AUTHENTICATION.FAILED' } } : { description: `line one\nline two ${i}` }));
  await sendEvents(ingestUrl, sent.slice(0, 30));
  await sendEvents(ingestUrl, sent.slice(30));
  const received = () => (existsSync(syslog.output) ? readFileSync(syslog.output, 'utf8').split('\n').filter((line) => line !== '') : []);
  await until(() => received().length >= 60, 20_000);
  const rows = received().map((line) => {
    const [pri, msgid, sdata, program, isodate, ...message] = line.split('\t');
    return { pri, msgid, sdata, program, isodate, message: JSON.parse(message.join('\t')) as { time: number; event: { id: string; description?: string } } };
  });
  assert.deepEqual(rows.map((row) => row.message.event.id), sent.map((event) => event.id));
  for (const [i, row] of rows.entries()) {
    const failed = i % 10 === 3;
    assert.equal(row.pri, failed ? '84' : '86');
    assert.equal(row.msgid, failed ? 'AUTHENTICATION.FAILED' : 'USER.CREATED');
    assert.equal(row.sdata, '[siem-gateway@32473 tenant="acme"]');
    assert.equal(row.program, 'siem-gateway');
    assert.equal(Date.parse(row.isodate!), Date.parse(sent[i]!.recordedAt));
    assert.equal(row.message.time, Date.parse(sent[i]!.recordedAt) / 1000);
  }
  // An event with a line break inside a string arrives whole: octet counting, not newline framing.
  assert.equal(rows[0]!.message.event.description, 'line one\nline two 0');
});

test('NEWLINE framing: a receiver that splits on newlines (syslog-ng network() with RFC 5424 parsing) gets one message per event; a line break in an attribute is escaped', async (t) => {
  const dir = tempDir(t);
  const syslog = await startSyslogNg(t, dir, undefined, (port) => `network(ip("127.0.0.1") port(${port}) transport("tcp") flags(syslog-protocol))`);
  const { ingestUrl } = await startGateway(t, {
    extra: `subscriptions:
  - id: lines
    environment: prod
    protocol: TCP_IP
    connectionDetails: { url: "tcp://127.0.0.1:${syslog.port}" }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions:
      flushMs: 20
      payloadFormat: { tcp: { format: RFC_LOGLINE, framing: NEWLINE, additionalAttributes: { note: "two\\nlines" } } }
`,
  });
  const sent = events('n', 20, (i) => ({ description: `line one\nline two ${i}` }));
  await sendEvents(ingestUrl, sent);
  const received = () => (existsSync(syslog.output) ? readFileSync(syslog.output, 'utf8').split('\n').filter((line) => line !== '') : []);
  await until(() => received().length >= 20, 20_000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const rows = received().map((line) => line.split('\t'));
  assert.equal(rows.length, 20, 'one message per event, none split or merged');
  assert.deepEqual(rows.map((row) => (JSON.parse(row.slice(5).join('\t')) as { id: string }).id), sent.map((event) => event.id));
  assert.ok(rows.every((row) => row[0] === '86' && row[1] === 'USER.CREATED' && row[3] === 'siem-gateway'));
  // The gateway sends a backslash and an n; syslog-ng prints the backslash escaped, as RFC 5424 SD values require.
  assert.equal(rows[0]![2], '[siem-gateway@32473 note="two\\\\nlines"]');
});

test('a long-lived connection does not keep the batches it sent: memory stays flat however many go over it', async (t) => {
  const server = createTcpServer((socket) => socket.resume());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const transport = new TcpTransport({ target: { url: new URL(`tcp://127.0.0.1:${port}`), timeoutMs: 5000, verifyTlsCertificates: true }, loadTls: () => ({ trusted: [] }), watchFiles: [] });
  t.after(async () => {
    await transport.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const batch = (n: number): EncodedBatch => ({ id: `b:${n}`, subscriptionId: 'b', environment: 'prod', body: Buffer.alloc(64 * 1024, 0x61), contentType: 'application/x-ndjson', events: 1, firstSeq: n, lastSeq: n, firstEventId: `e${n}`, lastEventId: `e${n}`, oversize: false, records: [], items: [] });
  const sent: WeakRef<Buffer>[] = [];
  for (let n = 1; n <= 20; n++) {
    const next = batch(n);
    sent.push(new WeakRef(next.body));
    assert.equal((await transport.send(next, new AbortController().signal)).ok, true);
  }
  // Everything sent on the still-open connection must be collectable now.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  // The socket may still hold the last write; nothing older may stay.
  assert.deepEqual(sent.slice(0, -1).filter((ref) => ref.deref() !== undefined).length, 0, 'no earlier batch is still referenced');
});
