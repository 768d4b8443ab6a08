// The bench's SIEM: an HTTP(S) server in its own process that answers like Splunk HEC and counts
// events (one per ND_JSON line) and bytes. Latency comes from the `sentAt` the generator put in
// each event: the first (oldest) event of each body stands for the whole body, which errs high.
// Talks to the runner over IPC: {type:'stats'} → the counts so far.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

const port = Number(process.env.SINK_PORT ?? 0);
const tls = process.env.SINK_CERT ? { cert: process.env.SINK_CERT, key: process.env.SINK_KEY } : undefined;
let events = 0;
let bytes = 0;
let requests = 0;
let firstAt = 0;
/** Latency histogram in 1 ms buckets, weighted by events. */
const histogram = new Map<number, number>();
const sentAt = /"sentAt":(\d+)/;

/** Counts the events (lines) in a chunk of ND_JSON or JSON_DOC, and their latency from the first `sentAt`. */
function count(body: Buffer): void {
  let lines = 0;
  for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) lines++;
  const now = Date.now();
  const match = sentAt.exec(body.toString('latin1', 0, Math.min(body.length, 4096)));
  if (match && lines > 0) {
    const latency = Math.max(0, now - Number(match[1]));
    histogram.set(latency, (histogram.get(latency) ?? 0) + lines);
  }
  if (firstAt === 0) firstAt = now;
  events += lines;
  bytes += body.length;
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    count(Buffer.concat(chunks));
    requests++;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"text":"Success","code":0}');
  });
}

// SINK_TCP=1: a TCP (or TLS) collector reading JSON_DOC lines instead of an HTTP server.
const stream = (socket: Socket) => {
  socket.on('data', count);
  socket.on('error', () => undefined);
};
const server = process.env.SINK_TCP ? (tls ? createTlsServer(tls, stream) : createTcpServer(stream)) : tls ? createHttpsServer(tls, handle) : createHttpServer(handle);
if ('keepAliveTimeout' in server) server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.send!({ type: 'listening', port: (server.address() as AddressInfo).port }));
process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') process.send!({ type: 'stats', events, bytes, requests, firstAt, histogram: [...histogram] });
  if (message.type === 'reset') {
    histogram.clear();
  }
});
process.on('disconnect', () => process.exit(0));
