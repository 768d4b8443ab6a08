// One NATS connection per gateway process, shared by the JetStream journal, the configuration
// bucket, the leases and the dead letters. It reconnects for ever: while it is down, ingest answers
// 503 (the journal asks `connected`) and delivery waits; nothing is dropped on the way.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, JetStreamApiError, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { GatewayConfig } from '../../config/gateway-config.js';
import type { Logger } from '../../logger.js';

export type JetStreamSettings = NonNullable<GatewayConfig['storage']['jetstream']>;

export class NatsLink {
  private up = true;

  private constructor(
    readonly connection: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly settings: JetStreamSettings & { processName: string },
    private readonly logger: Logger,
  ) {}

  /** Connects (retrying for `firstConnectMs` at start) and follows the connection's state. */
  static async open(settings: JetStreamSettings, logger: Logger, firstConnectMs = 30_000): Promise<NatsLink> {
    const processName = settings.processName ?? `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '-');
    const started = Date.now();
    let connection: NatsConnection | undefined;
    let jsm: JetStreamManager | undefined;
    for (;;) {
      try {
        connection = undefined;
        connection = await connect({
          servers: settings.servers,
          name: `siem-gateway ${processName}`,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          pingInterval: 5_000,
          maxPingOut: 2,
          ...(settings.credentialsFile === undefined ? {} : { authenticator: credsAuthenticator(readFileSync(settings.credentialsFile)) }),
          ...(settings.tls === undefined ? {} : { tls: { ...settings.tls } }),
        });
        // A cluster answers JetStream requests only once it has elected its leader.
        jsm = await jetstreamManager(connection, { timeout: 5_000 });
        break;
      } catch (error) {
        await connection?.close().catch(() => undefined);
        if (Date.now() - started > firstConnectMs) throw new Error(`cannot connect to NATS at ${settings.servers.join(', ')} (storage.jetstream.servers): ${(error as Error).message}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    const link = new NatsLink(connection, jetstream(connection, { timeout: 5_000 }), jsm, { ...settings, processName }, logger);
    void link.follow();
    logger.info({ servers: settings.servers, process: processName }, 'connected to NATS JetStream');
    return link;
  }

  /** False between a disconnect and the reconnect: ingest answers 503 then. */
  get connected(): boolean {
    return this.up && !this.connection.isClosed();
  }

  get processName(): string {
    return this.settings.processName;
  }

  private async follow(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect' && this.up) {
        this.up = false;
        this.logger.error({ server: status.server }, 'NATS connection lost; ingest answers 503 and delivery waits until it is back');
      } else if (status.type === 'reconnect') {
        this.up = true;
        this.logger.info({ server: status.server }, 'NATS connection restored');
      }
    }
  }

  async close(): Promise<void> {
    if (!this.connection.isClosed()) await this.connection.drain().catch(() => this.connection.close());
  }
}

/**
 * Ids allow "." (a subject separator, and not allowed in consumer names): "_" is written "__" and
 * "." is written "_d", which reads back unambiguously.
 */
export function subjectToken(id: string): string {
  return id.replace(/_/g, '__').replace(/\./g, '_d');
}

export function fromSubjectToken(token: string): string {
  return token.replace(/_(.)/g, (_, c: string) => (c === 'd' ? '.' : c));
}

/** JetStream's err_code of an API error, when it is one (10047: the stream is full, 10014: no such consumer). */
export function apiErrorCode(error: unknown): number | undefined {
  return error instanceof JetStreamApiError ? error.code : undefined;
}
