// TCP/IP delivery (SPEC §4.4): one long-lived connection per subscription, `tls://` (the default)
// or `tcp://` (plaintext, only when written so), default port 443, with the same TLS options as
// HTTPS. The body arrives framed (JSON_DOC lines or RFC 6587 octet-counted RFC 5424 lines).
//
// Plain TCP has no acknowledgements, so "delivered" is as strong as the socket can say: the whole
// batch was handed to the kernel (write callback, which also respects backpressure), and the
// connection was still up a settle interval later. A peer that is closing or reset answers within a
// round trip, so a batch it cut off in the middle fails here and is resent whole on a new connection
// (at-least-once). The settle interval is twice the TCP connect time, 2 to 100 ms (2 on loopback).
// Half-closed and silent peers are found by 'end', write errors and TCP keep-alive.
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import type { EncodedBatch, SendResult, TlsDetails, Transport } from '../src/contracts/transport.js';
import { DestinationRefusedError, isDestinationRefused, type DestinationPolicy } from '../src/network/destination-policy.js';
import { SerialQueue } from '../src/util/serial-queue.js';
import { WatchedTlsMaterial, describeError, type TlsMaterialOptions } from './tls-material.js';

export interface TcpTarget {
  /** tls://host:port or tcp://host:port */
  url: URL;
  timeoutMs: number;
  verifyTlsCertificates: boolean;
  /** Where connects may go (network.destinations), checked on each address tried. */
  policy?: DestinationPolicy;
}

export interface TcpTransportOptions extends TlsMaterialOptions {
  target: TcpTarget;
}

export const defaultTcpPort = 443;
const keepAliveMs = 15_000;
/** How long a new TLS 1.3 connection waits for the server's verdict on the client certificate. */
const handshakeGraceMs = 50;
/** Bounds of the settle interval, which follows the measured TCP connect time (one round trip). */
const settleBounds = { minMs: 2, maxMs: 100 };

class ConnectionClosed extends Error {
  readonly code = 'ECONNCLOSED';
  constructor(reason: string) {
    super(reason);
  }
}

interface Connection {
  socket: Socket;
  /** Why the connection broke (error, close, or the peer's FIN), once it has. */
  brokenWith?: Error;
  /**
   * The waits under way, told when it breaks. Each removes itself when it ends: a handler left on
   * the connection would keep its batch alive for as long as the connection lives.
   */
  onBreak: Set<(error: Error) => void>;
  settleMs: number;
}

export class TcpTransport implements Transport {
  private readonly tls: WatchedTlsMaterial | undefined;
  private connection: Connection | undefined;
  /** Sends run one at a time: one connection, batches in order. */
  private readonly queue = new SerialQueue();

  constructor(private readonly options: TcpTransportOptions) {
    // New files are used by the next connection; the current one is left to finish its batch.
    this.tls = options.target.url.protocol === 'tls:' ? new WatchedTlsMaterial(options, () => undefined) : undefined;
  }

  clientCertificateExpiresAt(): Date | undefined {
    return this.tls?.clientCertificateExpiresAt;
  }

  tlsDetails(): Promise<TlsDetails | undefined> {
    const { url, verifyTlsCertificates, timeoutMs } = this.options.target;
    if (this.tls === undefined) return Promise.resolve(undefined);
    return this.tls.probe(url.hostname.replace(/^\[|\]$/g, ''), url.port === '' ? defaultTcpPort : Number(url.port), verifyTlsCertificates, timeoutMs, this.options.target.policy);
  }

  send(batch: EncodedBatch, signal: AbortSignal): Promise<SendResult> {
    return this.queue.run(() => this.sendNow(batch, signal));
  }

  private async sendNow(batch: EncodedBatch, signal: AbortSignal): Promise<SendResult> {
    try {
      signal.throwIfAborted();
      const connection = this.connection ?? (this.connection = await this.connect(signal));
      await this.within(connection, (done) => connection.socket.write(batch.body, done), signal);
      await this.within(connection, (done) => setTimeout(done, connection.settleMs), signal);
      return { ok: true };
    } catch (error) {
      this.drop();
      if (signal.aborted) throw error;
      return { ok: false, error: describeError(error), ...(isDestinationRefused(error) ? { destinationRefused: true } : {}) };
    }
  }

  /** Runs `start` and waits for its callback, failing if the connection breaks or time runs out first. */
  private within(connection: Connection, start: (done: (error?: Error | null) => void) => void, signal: AbortSignal): Promise<void> {
    const { timeoutMs } = this.options.target;
    return new Promise<void>((resolve, reject) => {
      let finished = false;
      const finish = (error?: Error | null) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        connection.onBreak.delete(finish);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => finish(new ConnectionClosed(`no progress for ${timeoutMs} ms (the peer is not reading)`)), timeoutMs);
      const onAbort = () => finish(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      if (connection.brokenWith !== undefined) return finish(connection.brokenWith);
      connection.onBreak.add(finish);
      start(finish);
    });
  }

  private async connect(signal: AbortSignal): Promise<Connection> {
    const { url, timeoutMs, verifyTlsCertificates, policy } = this.options.target;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port === '' ? defaultTcpPort : Number(url.port);
    const refused = policy?.literalRefusal(host, port);
    if (refused !== undefined) throw new DestinationRefusedError(refused);
    const deadline = performance.now() + timeoutMs;
    // TCP first, then TLS over it, so the round trip is the TCP handshake alone (a TLS handshake
    // adds crypto time, not distance).
    const started = performance.now();
    const tcp = await this.opened(connectTcp({ host, port, ...(policy === undefined ? {} : { lookup: policy.lookupFor(port) }) }), 'connect', deadline, signal);
    // On loopback the distance is nothing and the measurement is event-loop noise.
    const roundTripMs = isLoopback(host) ? 0 : performance.now() - started;
    const socket = this.tls ? await this.opened(connectTls({ socket: tcp, host, servername: isIP(host) === 0 ? host : undefined, secureContext: this.tls.secureContext(), rejectUnauthorized: verifyTlsCertificates }), 'secureConnect', deadline, signal) : tcp;
    socket.setKeepAlive(true, keepAliveMs);
    socket.setNoDelay(true);
    const connection = this.watch(socket, roundTripMs);
    // In TLS 1.3 the client is "connected" before the server has checked its certificate: a
    // refusal arrives as an alert just after. Nothing is written until that moment has passed.
    if (this.tls && (socket as TLSSocket).getProtocol() === 'TLSv1.3') {
      try {
        await this.within(connection, (done) => setTimeout(done, Math.max(handshakeGraceMs, connection.settleMs)), signal);
      } catch (error) {
        socket.destroy();
        throw error;
      }
    }
    return connection;
  }

  /** The socket once `event` fires; destroyed on an error, a close, an abort or the deadline. */
  private opened<S extends Socket>(socket: S, event: 'connect' | 'secureConnect', deadline: number, signal: AbortSignal): Promise<S> {
    return new Promise((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.off('error', settle);
        socket.off('close', closed);
        if (error === undefined) return resolve(socket);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => settle(new ConnectionClosed(`connect timed out after ${this.options.target.timeoutMs} ms`)), Math.max(0, deadline - performance.now()));
      const onAbort = () => settle(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      const closed = () => settle(new ConnectionClosed('the peer closed the connection during the handshake'));
      socket.once('error', settle);
      socket.once('close', closed);
      socket.once(event, () => settle());
    });
  }

  /** A connection that tells its waits at the first sign of trouble; anything the peer sends is discarded. */
  private watch(socket: Socket, roundTripMs: number): Connection {
    const connection: Connection = { socket, onBreak: new Set(), settleMs: Math.min(settleBounds.maxMs, Math.max(settleBounds.minMs, Math.ceil(2 * roundTripMs))) };
    const breakWith = (error: Error) => {
      if (connection.brokenWith !== undefined) return;
      connection.brokenWith = error;
      for (const waiting of [...connection.onBreak]) waiting(error);
      // A broken idle connection is let go at once, so the next batch connects again.
      if (this.connection === connection) this.drop();
    };
    socket.on('error', (error) => breakWith(error));
    socket.on('end', () => breakWith(new ConnectionClosed('the peer closed the connection')));
    socket.on('close', () => breakWith(new ConnectionClosed('the connection closed')));
    socket.resume();
    return connection;
  }

  private drop(): void {
    this.connection?.socket.destroy();
    this.connection = undefined;
  }

  async close(): Promise<void> {
    this.tls?.close();
    await this.queue.idle;
    const socket = this.connection?.socket;
    this.connection = undefined;
    if (socket === undefined || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
