// The TLS material both transports use (trusted certificates, a client key pair), read from files
// that are watched: when one changes, the material is read again and, if it is good, handed to the
// transport for its next connections. A bad new file keeps the previous material (and says so).
import { unwatchFile, watchFile } from 'node:fs';
import { isIP } from 'node:net';
import { DestinationRefusedError, type DestinationPolicy } from '../src/network/destination-policy.js';
import type { TlsDetails } from '../src/contracts/transport.js';
import { connect as connectTls, createSecureContext, rootCertificates, type ConnectionOptions, type SecureContext } from 'node:tls';

export interface TlsMaterial {
  /** Extra trusted certificates (PEM); the system CAs are trusted too. */
  trusted: string[];
  clientKeyPair?: { cert: string; key: string; notAfter?: Date };
}

export interface TlsMaterialOptions {
  /** Reads the TLS material from disk (throws on a bad file). */
  loadTls: () => TlsMaterial;
  /** Files to watch for rotation. */
  watchFiles: string[];
  onTlsReload?: (outcome: { ok: true } | { ok: false; error: string }) => void;
}

export class WatchedTlsMaterial {
  current: TlsMaterial;
  /** Built once per material: parsing the system CAs takes tens of milliseconds. */
  private context: SecureContext | undefined;

  constructor(
    private readonly options: TlsMaterialOptions,
    onChange: (material: TlsMaterial) => void,
  ) {
    this.current = options.loadTls();
    for (const file of options.watchFiles) {
      watchFile(file, { interval: 2000, persistent: false }, () => {
        try {
          this.current = options.loadTls();
          this.context = undefined;
        } catch (error) {
          options.onTlsReload?.({ ok: false, error: (error as Error).message });
          return;
        }
        onChange(this.current);
        options.onTlsReload?.({ ok: true });
      });
    }
  }

  /** Node TLS options for the material: trust, client certificate, verification. */
  connectOptions(verify: boolean): ConnectionOptions {
    const { trusted, clientKeyPair } = this.current;
    return {
      rejectUnauthorized: verify,
      ...(trusted.length > 0 ? { ca: [...rootCertificates, ...trusted] } : {}),
      ...(clientKeyPair ? { cert: clientKeyPair.cert, key: clientKeyPair.key } : {}),
    };
  }

  /** The same as a reusable secure context, for transports that open their own TLS sockets. */
  secureContext(): SecureContext {
    return (this.context ??= createSecureContext(this.connectOptions(true)));
  }

  /**
   * A TLS handshake with `host:port` as the transport would make it, for the test-send route: the
   * protocol and the peer certificate, or the exact error.
   */
  probe(host: string, port: number, verify: boolean, timeoutMs: number, policy?: DestinationPolicy): Promise<TlsDetails> {
    const refused = policy?.literalRefusal(host, port);
    if (refused !== undefined) return Promise.resolve({ error: new DestinationRefusedError(refused).message });
    return new Promise((resolve) => {
      const socket = connectTls({ host, port, servername: isIP(host) === 0 ? host : undefined, ...this.connectOptions(verify), ...(policy === undefined ? {} : { lookup: policy.lookupFor(port) }) });
      const done = (details: TlsDetails) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(details);
      };
      const timer = setTimeout(() => done({ error: `no TLS handshake within ${timeoutMs} ms` }), timeoutMs);
      socket.once('secureConnect', () => {
        const peer = socket.getPeerCertificate();
        done({
          protocol: socket.getProtocol() ?? undefined,
          ...(peer?.subject === undefined ? {} : { peerCertificate: { subject: String(peer.subject.CN ?? JSON.stringify(peer.subject)), ...(peer.issuer?.CN === undefined ? {} : { issuer: String(peer.issuer.CN) }), validTo: new Date(peer.valid_to).toISOString() } }),
          authorized: socket.authorized,
          ...(socket.authorizationError === undefined || socket.authorizationError === null ? {} : { authorizationError: String(socket.authorizationError) }),
        });
      });
      socket.once('error', (error) => done({ error: describeError(error) }));
    });
  }

  get clientCertificateExpiresAt(): Date | undefined {
    return this.current.clientKeyPair?.notAfter;
  }

  close(): void {
    for (const file of this.options.watchFiles) unwatchFile(file);
  }
}

/** A network or TLS failure in words (no URL, so no credentials can leak). */
export function describeError(error: unknown): string {
  const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = err.code ?? err.cause?.code;
  const message = err.cause?.message ?? err.message;
  // A refusal by network.destinations names itself (destination_refused: …).
  return code && code !== 'DESTINATION_REFUSED' ? `${code}: ${message}` : message;
}
