// A real HTTP(S) server on loopback standing in for a SIEM: records every request (headers and
// the gunzipped body) and answers as the test's handler says.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface SinkRequest {
  /** The request target (path and query). */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The TLS client certificate's subject CN, when one was presented. */
  clientCertificate?: string;
}

export type SinkAnswer = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | 'hang' | 'destroy';

export interface SinkOptions {
  tls?: { cert: string; key: string; ca?: string; requestCert?: boolean };
  handler?: (request: SinkRequest, index: number) => SinkAnswer;
  port?: number;
}

export class HttpSink {
  readonly requests: SinkRequest[] = [];
  /** The status each request was answered with (undefined: hung or destroyed). */
  readonly statuses: (number | undefined)[] = [];
  private readonly hanging: ServerResponse[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: SinkOptions = {}): Promise<HttpSink> {
    const ready: { sink?: HttpSink } = {};
    const listener = (request: IncomingMessage, response: ServerResponse) => void ready.sink!.handle(request, response, options.handler ?? (() => ({ status: 200, body: '{"text":"Success","code":0}' })));
    const server = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, requestCert: options.tls.requestCert ?? false, rejectUnauthorized: options.tls.requestCert ?? false }, listener)
      : createHttpServer(listener);
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    ready.sink = new HttpSink(server, `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`);
    return ready.sink;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  private async handle(request: IncomingMessage, response: ServerResponse, handler: NonNullable<SinkOptions['handler']>): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let raw = Buffer.concat(chunks);
    if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    const socket = request.socket as { getPeerCertificate?: () => { subject?: { CN?: string } } };
    const cn = socket.getPeerCertificate?.()?.subject?.CN;
    const recorded: SinkRequest = { url: request.url ?? '', headers: request.headers, body: raw.toString('utf8'), ...(cn ? { clientCertificate: cn } : {}) };
    const index = this.requests.push(recorded) - 1;
    const answer = handler(recorded, index);
    this.statuses[index] = typeof answer === 'string' ? undefined : answer.status;
    if (answer === 'hang') {
      this.hanging.push(response);
      return;
    }
    if (answer === 'destroy') {
      request.socket.destroy();
      return;
    }
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body ?? '');
  }

  /** Event ids received in ND_JSON or JSON array bodies of SPLUNK or ACTIVITY items, in order. */
  eventIds(accepted: (index: number) => boolean = (index) => (this.statuses[index] ?? 0) >= 200 && (this.statuses[index] ?? 0) < 300): string[] {
    return this.requests.flatMap((request, index) => {
      if (!accepted(index)) return [];
      const items = request.body.trimStart().startsWith('[') ? (JSON.parse(request.body) as Record<string, unknown>[]) : request.body.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      return items.map((item) => ((item.event as { id?: string } | undefined)?.id ?? item.id) as string);
    });
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A sink for ND_JSON deliveries that keeps, per request path, the event ids received in order.
 * While `accepting()` is false it answers 503 and keeps nothing.
 */
export async function startIdSink(accepting: () => boolean = () => true) {
  const received = new Map<string, string[]>();
  const ids = (path = '/') => {
    let list = received.get(path);
    if (list === undefined) received.set(path, (list = []));
    return list;
  };
  const sink = await HttpSink.start({
    handler: (request) => {
      if (!accepting()) return { status: 503, body: '{}' };
      ids(request.url).push(...request.body.trimEnd().split('\n').map((line) => (JSON.parse(line) as { id: string }).id));
      return { status: 200, body: '{}' };
    },
  });
  return { sink, ids };
}
